{{/*
Sidecar mode: the templates a user's own chart includes to put hookgate into its pod.
hookgate is a dependency of that chart (Chart.yaml: repository: file://... or a chart repo), with
`hookgate.mode: sidecar` in its values. Each template takes the parent's root context (`.`),
or the subchart's context when the dependency has an alias (`.Subcharts.<alias>`):

  spec:
    template:
      metadata:
        labels:
          {{- include "hookgate.sidecar.podLabels" . | nindent 8 }}
        annotations:
          {{- include "hookgate.sidecar.podAnnotations" . | nindent 8 }}
      spec:
        {{- with include "hookgate.sidecar.initContainers" . }}
        initContainers:
          {{- . | nindent 8 }}
        {{- end }}
        containers:
          - name: app
            ...
          {{- include "hookgate.sidecar.containers" . | nindent 10 }}
        volumes:
          {{- include "hookgate.sidecar.volumes" . | nindent 8 }}

Point the pod's Service at the container port named `hookgate-http` instead of the app's port.
*/}}

{{- define "hookgate.sidecar.ctx" -}}
{{- $r := .out -}}
{{- include "hookgate.resolve" (dict "in" .in "out" $r) -}}
{{- if ne $r.ctx.Values.mode "sidecar" -}}
{{- fail "hookgate.sidecar.* templates: set mode: sidecar in hookgate's values (under the dependency's key), or the hookgate chart also renders its own Deployment" -}}
{{- end -}}
{{- end -}}

{{/* The hookgate container as one list item. With sidecar.native it carries restartPolicy:
Always and belongs under initContainers; prefer hookgate.sidecar.containers/initContainers,
which put it in the right place by themselves. */}}
{{- define "hookgate.sidecar.container" -}}
{{- $r := dict -}}
{{- include "hookgate.sidecar.ctx" (dict "in" . "out" $r) -}}
{{- include "hookgate.containerSpec" (dict "ctx" $r.ctx "native" $r.ctx.Values.sidecar.native) -}}
{{- end -}}

{{/* The container for the pod's containers list; empty with sidecar.native. */}}
{{- define "hookgate.sidecar.containers" -}}
{{- $r := dict -}}
{{- include "hookgate.sidecar.ctx" (dict "in" . "out" $r) -}}
{{- if not $r.ctx.Values.sidecar.native -}}
{{- include "hookgate.containerSpec" (dict "ctx" $r.ctx "native" false) -}}
{{- end -}}
{{- end -}}

{{/* The container for the pod's initContainers list; only with sidecar.native. */}}
{{- define "hookgate.sidecar.initContainers" -}}
{{- $r := dict -}}
{{- include "hookgate.sidecar.ctx" (dict "in" . "out" $r) -}}
{{- if $r.ctx.Values.sidecar.native -}}
{{- include "hookgate.containerSpec" (dict "ctx" $r.ctx "native" true) -}}
{{- end -}}
{{- end -}}

{{/* The volumes the container mounts (config, signing secrets, /tmp, and with queue.enabled the
embedded queue's emptyDir; none for queue.backend redis), as list items. */}}
{{- define "hookgate.sidecar.volumes" -}}
{{- $r := dict -}}
{{- include "hookgate.sidecar.ctx" (dict "in" . "out" $r) -}}
{{- include "hookgate.volumesSpec" $r.ctx -}}
{{- end -}}

{{/* Pod annotations: config checksum (the pod rolls on a config change) and Prometheus
scrape annotations for the admin port. */}}
{{- define "hookgate.sidecar.podAnnotations" -}}
{{- $r := dict -}}
{{- include "hookgate.sidecar.ctx" (dict "in" . "out" $r) -}}
{{- include "hookgate.podAnnotationsSpec" $r.ctx | trim -}}
{{- end -}}

{{/* A pod label that the chart's PodMonitor selects. */}}
{{- define "hookgate.sidecar.podLabels" -}}
{{- $r := dict -}}
{{- include "hookgate.sidecar.ctx" (dict "in" . "out" $r) -}}
{{ include "hookgate.sidecarLabelKey" $r.ctx }}: {{ include "hookgate.fullname" $r.ctx }}
{{- end -}}

{{/* "true" with sidecar.native, else empty: for charts that lay out their pod themselves. */}}
{{- define "hookgate.sidecar.native" -}}
{{- $r := dict -}}
{{- include "hookgate.sidecar.ctx" (dict "in" . "out" $r) -}}
{{- if $r.ctx.Values.sidecar.native -}}true{{- end -}}
{{- end -}}
