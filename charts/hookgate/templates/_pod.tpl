{{/*
The hookgate container, its volumes and pod annotations: shared by the standalone Deployment
and the sidecar templates (_sidecar.tpl). All take hookgate's own context.
*/}}

{{/* The container, as one list item. (dict "ctx" $ctx "native" bool) */}}
{{- define "hookgate.containerSpec" -}}
{{- $ctx := .ctx -}}
{{- $v := $ctx.Values -}}
{{- if and .native (semverCompare "<1.29.0-0" $ctx.Capabilities.KubeVersion.Version) -}}
{{- fail (printf "hookgate: sidecar.native needs Kubernetes >= 1.29 (init containers with restartPolicy: Always); this cluster is %s: set sidecar.native=false" $ctx.Capabilities.KubeVersion.Version) -}}
{{- end -}}
- name: {{ $v.sidecar.containerName | default "hookgate" }}
  image: {{ include "hookgate.image" $ctx | quote }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  {{- if .native }}
  # A native sidecar (Kubernetes >= 1.29): runs for the pod's whole life, started before and
  # stopped after the app containers.
  restartPolicy: Always
  {{- end }}
  {{- with $v.extraArgs }}
  args:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  ports:
    - name: hookgate-http
      containerPort: {{ $v.containerPorts.http }}
      protocol: TCP
    - name: hookgate-admin
      containerPort: {{ $v.containerPorts.admin }}
      protocol: TCP
  {{- with $v.env }}
  env:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.envFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if $v.probes.startup.enabled }}
  startupProbe:
    httpGet:
      path: /readyz
      port: hookgate-admin
    periodSeconds: {{ $v.probes.startup.periodSeconds }}
    timeoutSeconds: {{ $v.probes.startup.timeoutSeconds }}
    failureThreshold: {{ $v.probes.startup.failureThreshold }}
  {{- end }}
  {{- if $v.probes.liveness.enabled }}
  livenessProbe:
    httpGet:
      path: /healthz
      port: hookgate-admin
    periodSeconds: {{ $v.probes.liveness.periodSeconds }}
    timeoutSeconds: {{ $v.probes.liveness.timeoutSeconds }}
    failureThreshold: {{ $v.probes.liveness.failureThreshold }}
  {{- end }}
  {{- if $v.probes.readiness.enabled }}
  readinessProbe:
    httpGet:
      path: /readyz
      port: hookgate-admin
    periodSeconds: {{ $v.probes.readiness.periodSeconds }}
    timeoutSeconds: {{ $v.probes.readiness.timeoutSeconds }}
    failureThreshold: {{ $v.probes.readiness.failureThreshold }}
  {{- end }}
  {{- with $v.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml $v.securityContext | nindent 4 }}
  volumeMounts:
    - name: hookgate-config
      mountPath: /etc/hookgate
      readOnly: true
    {{- if $v.secrets.existingSecret }}
    - name: hookgate-secrets
      mountPath: {{ $v.secrets.mountPath }}
      readOnly: true
    {{- end }}
    - name: hookgate-tmp
      mountPath: /tmp
    {{- with $v.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/* The volumes the container mounts, as list items. */}}
{{- define "hookgate.volumesSpec" -}}
{{- $v := .Values -}}
- name: hookgate-config
  configMap:
    name: {{ include "hookgate.configMapName" . }}
    {{- if $v.existingConfigMap }}
    items:
      - key: {{ $v.existingConfigMapKey }}
        path: config.yaml
    {{- end }}
{{- if $v.secrets.existingSecret }}
- name: hookgate-secrets
  secret:
    secretName: {{ $v.secrets.existingSecret }}
    defaultMode: {{ $v.secrets.defaultMode }}
    {{- with $v.secrets.items }}
    items:
      {{- toYaml . | nindent 6 }}
    {{- end }}
{{- end }}
- name: hookgate-tmp
  emptyDir:
    sizeLimit: 16Mi
{{- end -}}

{{/* Pod annotations: the config checksum (pods roll when it changes) and Prometheus scraping. */}}
{{- define "hookgate.podAnnotationsSpec" -}}
{{- $v := .Values -}}
{{- with include "hookgate.configChecksum" . }}
checksum/hookgate-config: {{ . }}
{{- end }}
{{- if $v.metrics.podAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ $v.containerPorts.admin | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end -}}
