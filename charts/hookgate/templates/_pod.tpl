{{/*
The hookgate container, its volumes and pod annotations: shared by the standalone workload
(Deployment, or StatefulSet with the embedded queue on a PVC) and the sidecar templates (_sidecar.tpl).
All take hookgate's own context.
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
  {{- if or $v.env $v.tracing.otlpEndpoint }}
  env:
    {{- with $v.tracing }}
    {{- if .otlpEndpoint }}
    - name: OTEL_EXPORTER_OTLP_ENDPOINT
      value: {{ .otlpEndpoint | quote }}
    - name: OTEL_EXPORTER_OTLP_PROTOCOL
      value: {{ .protocol | quote }}
    - name: OTEL_TRACES_SAMPLER
      value: {{ .sampler | quote }}
    - name: OTEL_TRACES_SAMPLER_ARG
      value: {{ .samplerArg | quote }}
    - name: OTEL_SERVICE_NAME
      value: {{ .serviceName | default (include "hookgate.fullname" $ctx) | quote }}
    {{- end }}
    {{- end }}
    {{- with $v.env }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
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
    {{- if include "hookgate.queueVolume" $ctx }}
    # The queue's store, writable (the root filesystem is read-only).
    - name: hookgate-queue
      mountPath: {{ dir $v.queue.path }}
    {{- end }}
    {{- with $v.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/* The volumes the container mounts, as list items (hookgate-queue: an emptyDir with the embedded
queue on, unless the StatefulSet's claim provides it; none with queue.backend redis). */}}
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
{{- /* On a PVC the StatefulSet's volumeClaimTemplates provide hookgate-queue. */}}
{{- if and (include "hookgate.queueVolume" .) (ne $v.queue.persistence.type "pvc") }}
- name: hookgate-queue
  emptyDir:
    {{- with $v.queue.persistence.sizeLimit }}
    sizeLimit: {{ . | quote }}
    {{- else }} {}
    {{- end }}
{{- end }}
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

{{/* The standalone pod template (spec.template of the Deployment or the StatefulSet). */}}
{{- define "hookgate.podTemplate" -}}
metadata:
  labels:
    {{- include "hookgate.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- $annotations := include "hookgate.podAnnotationsSpec" . | trim }}
  {{- if or $annotations .Values.podAnnotations }}
  annotations:
    {{- with $annotations }}
    {{- . | nindent 4 }}
    {{- end }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
spec:
  serviceAccountName: {{ include "hookgate.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.automountServiceAccountToken }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  containers:
    {{- include "hookgate.containerSpec" (dict "ctx" . "native" false) | nindent 4 }}
  volumes:
    {{- include "hookgate.volumesSpec" . | nindent 4 }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
