{{/* Prefix of the objects this chart creates itself: fullnameOverride, else the release name. */}}
{{- define "im-platform.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- end }}

{{/* Name of the ImCluster: imcluster.name, else the release name. */}}
{{- define "im-platform.clusterName" -}}
{{- $name := default .Release.Name .Values.imcluster.name }}
{{- if or (gt (len $name) 40) (not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $name)) }}
{{- fail (printf "ImCluster name %q must be a DNS-1035 label of at most 40 characters: set imcluster.name" $name) }}
{{- end }}
{{- $name }}
{{- end }}

{{- define "im-platform.labels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
{{ include "im-platform.commonLabels" . }}
{{- end }}

{{- define "im-platform.commonLabels" -}}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: im-platform
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* Labels of a quick-start data store; call with (list . "mongo"). */}}
{{- define "im-platform.storeSelector" -}}
{{- $ := index . 0 -}}
app.kubernetes.io/name: {{ index . 1 }}
app.kubernetes.io/instance: {{ $.Release.Name }}
app.kubernetes.io/component: quick-start
{{- end }}

{{- define "im-platform.storeLabels" -}}
{{ include "im-platform.storeSelector" . }}
{{ include "im-platform.commonLabels" (index . 0) }}
{{- end }}

{{/* Names of the quick-start Secrets (referenced by the ImCluster). */}}
{{- define "im-platform.mongoSecret" -}}{{ include "im-platform.fullname" . }}-mongo{{- end }}
{{- define "im-platform.redisSecret" -}}{{ include "im-platform.fullname" . }}-redis{{- end }}
{{- define "im-platform.objectStorageSecret" -}}{{ include "im-platform.fullname" . }}-object-storage{{- end }}

{{/*
Push provider credentials given in values: provider → [value field, Secret key]. The keys are the defaults of
spec.push.providers.<provider>.secretRef.key, so a filled-in secretRef needs only the Secret's name.
*/}}
{{- define "im-platform.pushCredentialKeys" -}}
apns: [key, key.p8]
fcm: [serviceAccount, service-account.json]
huawei: [clientSecret, clientSecret]
xiaomi: [appSecret, appSecret]
{{- end }}

{{/* Pod and container security settings of the quick-start stores (the official images' own users). */}}
{{- define "im-platform.storeContainerSecurity" -}}
allowPrivilegeEscalation: false
capabilities:
  drop:
    - ALL
{{- end }}

{{/*
The ImCluster spec: imcluster.spec as given, plus what is missing of version (the chart's appVersion), of each
push provider's secretRef (the Secret made from pushCredentials) and, with quickStart.enabled, mongo, redis and
objectStorage pointing at the quick-start Secrets (and, with the quick-start MinIO, upload.downloadMode proxy unless
set: the in-cluster MinIO has no public address for presigned URLs).
*/}}
{{- define "im-platform.spec" -}}
{{- $spec := deepCopy (default (dict) .Values.imcluster.spec) }}
{{- if not (hasKey $spec "version") }}
{{- $_ := set $spec "version" .Chart.AppVersion }}
{{- end }}
{{- if .Values.quickStart.enabled }}
{{- if not (hasKey $spec "mongo") }}
{{- $_ := set $spec "mongo" (dict "secretName" (include "im-platform.mongoSecret" .) "key" "url") }}
{{- end }}
{{- if not (hasKey $spec "redis") }}
{{- $_ := set $spec "redis" (dict "secretName" (include "im-platform.redisSecret" .) "key" "url") }}
{{- end }}
{{- if and .Values.quickStart.minio.enabled (not (hasKey $spec "objectStorage")) }}
{{- $_ := set $spec "objectStorage" (dict "secretName" (include "im-platform.objectStorageSecret" .)) }}
{{- /* Clients cannot reach the in-cluster MinIO, so the upload app proxies downloads unless told otherwise. */}}
{{- $upload := default (dict) (get $spec "upload") }}
{{- if not (hasKey $upload "downloadMode") }}
{{- $_ := set $upload "downloadMode" "proxy" }}
{{- $_ := set $spec "upload" $upload }}
{{- end }}
{{- end }}
{{- end }}
{{- range $provider, $names := include "im-platform.pushCredentialKeys" . | fromYaml }}
{{- if dig $provider (index $names 0) "" $.Values.pushCredentials }}
{{- $push := default (dict) (get $spec "push") }}
{{- $providers := default (dict) (get $push "providers") }}
{{- $entry := default (dict) (get $providers $provider) }}
{{- range $field := default (list) (get (dict "apns" (list "keyId" "teamId") "huawei" (list "appId")) $provider) }}
{{- if not (hasKey $entry $field) }}
{{- fail (printf "pushCredentials.%s is set but imcluster.spec.push.providers.%s.%s is not" $provider $provider $field) }}
{{- end }}
{{- end }}
{{- if not (hasKey $entry "secretRef") }}
{{- $_ := set $entry "secretRef" (dict "name" (printf "%s-push-%s" (include "im-platform.fullname" $) $provider)) }}
{{- end }}
{{- $_ := set $providers $provider $entry }}
{{- $_ := set $push "providers" $providers }}
{{- $_ := set $spec "push" $push }}
{{- end }}
{{- end }}
{{- if not (and (hasKey $spec "mongo") (hasKey $spec "redis")) }}
{{- fail "imcluster.spec.mongo and imcluster.spec.redis are required (Secrets with the connection URLs), unless quickStart.enabled=true" }}
{{- end }}
{{- toYaml $spec }}
{{- end }}

{{/* spec of the MinIO bucket Job (quickstart-minio.yaml); its hash names the Job. */}}
{{- define "im-platform.minioBucketJobSpec" -}}
{{- $minio := .Values.quickStart.minio }}
{{- $secret := include "im-platform.objectStorageSecret" . }}
backoffLimit: 20
template:
  metadata:
    labels:
      {{- include "im-platform.storeSelector" (list . "minio-bucket") | nindent 6 }}
  spec:
    restartPolicy: OnFailure
    automountServiceAccountToken: false
    enableServiceLinks: false
    securityContext:
      runAsNonRoot: true
      runAsUser: 1000
      runAsGroup: 1000
      seccompProfile:
        type: RuntimeDefault
    containers:
      - name: mc
        image: {{ $minio.image | quote }}
        command: ["/bin/sh", "-c"]
        args:
          - |
            set -e
            for i in $(seq 1 60); do
              mc alias set local "$S3_ENDPOINT" "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY" >/dev/null && break
              sleep 2
            done
            mc mb --ignore-existing "local/$S3_BUCKET"
        env:
          - name: MC_CONFIG_DIR
            value: /tmp/.mc
          {{- range $variable, $key := dict "S3_ENDPOINT" "endpoint" "S3_BUCKET" "bucket" "S3_ACCESS_KEY_ID" "accessKeyId" "S3_SECRET_ACCESS_KEY" "secretAccessKey" }}
          - name: {{ $variable }}
            valueFrom:
              secretKeyRef:
                name: {{ $secret }}
                key: {{ $key }}
          {{- end }}
        securityContext:
          {{- include "im-platform.storeContainerSecurity" . | nindent 10 }}
          readOnlyRootFilesystem: true
        volumeMounts:
          - name: tmp
            mountPath: /tmp
    volumes:
      - name: tmp
        emptyDir: {}
{{- end }}
