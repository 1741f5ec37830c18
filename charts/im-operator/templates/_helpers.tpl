{{/* Name of the chart's objects. */}}
{{- define "im-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: fullnameOverride, else the release name when it contains the chart name, else <release>-<name>. */}}
{{- define "im-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "im-operator.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "im-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "im-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "im-operator.labels" -}}
{{ include "im-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: im-platform
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "im-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "im-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* registry/repository:tag[@digest]; the tag defaults to the chart's appVersion. */}}
{{- define "im-operator.image" -}}
{{- $repository := .Values.image.repository }}
{{- if .Values.image.registry }}{{ $repository = printf "%s/%s" .Values.image.registry $repository }}{{ end }}
{{- $image := printf "%s:%s" $repository (default .Chart.AppVersion .Values.image.tag) }}
{{- if .Values.image.digest }}{{ $image = printf "%s@%s" $image .Values.image.digest }}{{ end }}
{{- $image }}
{{- end }}
