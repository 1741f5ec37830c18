{{/*
Namespaces the operator watches, comma-separated: watchNamespaces plus the older watchNamespace, without
duplicates; empty means every namespace (ClusterRoleBinding), else a RoleBinding of the same ClusterRole in each.
*/}}
{{- define "im-operator.watchNamespaces" -}}
{{- $names := list }}
{{- range (concat (.Values.watchNamespaces | default list) (list .Values.watchNamespace)) }}
{{- if and . (not (has . $names)) }}{{ $names = append $names . }}{{ end }}
{{- end }}
{{- join "," $names }}
{{- end }}
