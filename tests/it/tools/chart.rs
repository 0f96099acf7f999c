//! The Helm chart (charts/hookgate) and the example app chart that uses its sidecar templates
//! (charts/examples/node-app), checked with the real tools: `helm lint --strict` and
//! `helm template` (helm v4), `kubernetes-validate --strict` against the Kubernetes 1.29 and 1.33
//! schemas, `promtool check rules`, `hookgate check --no-secrets` on the rendered config, and a
//! real Prometheus server that scrapes a real hookgate and runs every dashboard and alert
//! expression of the rendered chart.
//!
//! CI installs the tools (tools/ci/install-chart-tools.sh, called by .ci/run) and a missing one
//! fails there; elsewhere a missing tool skips the test with a SKIPPED line.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_yaml::Value;

use crate::harness::*;
use crate::proxy::{refs, signed};

const BIN: &str = env!("CARGO_BIN_EXE_hookgate");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Validated against both: the oldest with native sidecars on by default, and a current one.
const KUBE_VERSIONS: [&str; 2] = ["1.29.0", "1.33.0"];
/// prometheus-operator kinds: not in kubernetes-validate's schemas, checked by `check_crd`.
const CRD_KINDS: [&str; 3] = ["ServiceMonitor", "PodMonitor", "PrometheusRule"];
/// The values scenarios under charts/hookgate/ci that must exist (more may).
const SCENARIOS: [&str; 7] = [
    "standalone-minimal",
    "standalone-full",
    "standalone-queue",
    "standalone-queue-redis",
    "sidecar",
    "native-sidecar",
    "existing-configmap",
];
/// Helm 3 releases still in wide use (installed by tools/ci/install-chart-tools.sh): the
/// chart must lint and render for them exactly as for Helm 4.
const HELM3: [&str; 2] = ["helm3.12", "helm3.17"];
const NAMESPACE: &str = "shop";
const RELEASE: &str = "hg";

fn chart_dir() -> PathBuf {
    Path::new(ROOT).join("charts/hookgate")
}

// ---------------------------------------------------------------------------------------------
// Tools.

/// True when every tool runs. A missing tool fails under CI and skips (loudly) elsewhere.
fn have_tools(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| {
            let arg = if t.starts_with("helm") {
                "version"
            } else {
                "--version"
            };
            !Command::new(t)
                .arg(arg)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: {missing:?} missing in CI: .ci/run must run tools/ci/install-chart-tools.sh"
    );
    eprintln!("SKIPPED {test}: {missing:?} not installed (run tools/ci/install-chart-tools.sh)");
    false
}

/// Runs a command; panics with its output unless it succeeds. Returns stdout.
fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail; returns stdout + stderr.
fn run_failing(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{cmd:?} should have failed:\n{text}");
    text
}

/// Helm 4, the one every test uses.
fn helm(args: &[&str]) -> Command {
    helm_with("helm", args)
}

/// `bin` is `helm` or one of [`HELM3`].
fn helm_with(bin: &str, args: &[&str]) -> Command {
    let mut c = Command::new(bin);
    c.args(args);
    c
}

/// `helm template` with the fixed release name and namespace.
fn template_cmd(chart: &Path, values: &[&Path], extra: &[&str]) -> Command {
    template_cmd_with("helm", chart, values, extra)
}

fn template_cmd_with(bin: &str, chart: &Path, values: &[&Path], extra: &[&str]) -> Command {
    let mut c = helm_with(
        bin,
        &[
            "template",
            RELEASE,
            chart.to_str().unwrap(),
            "-n",
            NAMESPACE,
        ],
    );
    for v in values {
        c.args(["-f", v.to_str().unwrap()]);
    }
    c.args(extra);
    c
}

fn template(chart: &Path, values: &[&Path], extra: &[&str]) -> Vec<Value> {
    template_with("helm", chart, values, extra)
}

fn template_with(bin: &str, chart: &Path, values: &[&Path], extra: &[&str]) -> Vec<Value> {
    docs(&run(&mut template_cmd_with(bin, chart, values, extra)))
}

fn lint(chart: &Path, values: &[&Path]) {
    run(&mut lint_cmd("helm", chart, values));
}

fn lint_cmd(bin: &str, chart: &Path, values: &[&Path]) -> Command {
    let mut c = helm_with(bin, &["lint", "--strict", chart.to_str().unwrap()]);
    for v in values {
        c.args(["-f", v.to_str().unwrap()]);
    }
    c
}

/// The YAML documents of a multi-document stream (empty ones dropped).
fn docs(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|v: &Value| !v.is_null())
        .collect()
}

/// `kubernetes-validate --strict` of the core objects against every version in KUBE_VERSIONS;
/// CRDs are left out here (no schema) and checked by `check_crd`.
fn kube_validate(dir: &Path, label: &str, objects: &[Value]) {
    let core: Vec<&Value> = objects
        .iter()
        .filter(|o| !CRD_KINDS.contains(&kind(o)))
        .collect();
    assert!(!core.is_empty(), "{label}: nothing to validate");
    let file = dir.join(format!("{label}.core.yaml"));
    let text: Vec<String> = core
        .iter()
        .map(|o| serde_yaml::to_string(o).unwrap())
        .collect();
    std::fs::write(&file, text.join("---\n")).unwrap();
    for v in KUBE_VERSIONS {
        let out = run(Command::new("kubernetes-validate")
            .args(["--strict", "-k", v])
            .arg(&file));
        let passed = out.lines().filter(|l| l.contains(" passed ")).count();
        assert_eq!(passed, core.len(), "{label} against {v}:\n{out}");
    }
}

// ---------------------------------------------------------------------------------------------
// Rendered objects.

fn kind(o: &Value) -> &str {
    o["kind"].as_str().unwrap_or_default()
}

fn name(o: &Value) -> &str {
    o["metadata"]["name"].as_str().unwrap_or_default()
}

fn kinds(objects: &[Value]) -> BTreeSet<String> {
    objects.iter().map(|o| kind(o).to_owned()).collect()
}

fn one<'a>(objects: &'a [Value], k: &str) -> &'a Value {
    let found: Vec<&Value> = objects.iter().filter(|o| kind(o) == k).collect();
    assert_eq!(found.len(), 1, "expected one {k}, got {}", found.len());
    found[0]
}

fn named<'a>(objects: &'a [Value], k: &str, n: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| kind(o) == k && name(o) == n)
        .unwrap_or_else(|| panic!("no {k} named {n}"))
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}"))
}

fn seq(v: &Value) -> &[Value] {
    v.as_sequence().map(Vec::as_slice).unwrap_or_default()
}

/// The ConfigMap's config.yaml, written to `dir` and passed through `hookgate check
/// --no-secrets`; returns it parsed.
fn check_rendered_config(dir: &Path, label: &str, cm: &Value) -> Value {
    check_rendered_config_out(dir, label, cm).0
}

/// [`check_rendered_config`], and what `hookgate check` printed.
fn check_rendered_config_out(dir: &Path, label: &str, cm: &Value) -> (Value, String) {
    let text = s(&cm["data"]["config.yaml"]);
    let path = dir.join(format!("{label}.config.yaml"));
    std::fs::write(&path, text).unwrap();
    let out = run(Command::new(BIN)
        .args(["check", "--no-secrets", "--config"])
        .arg(&path));
    assert!(out.contains("ok"), "{label}: {out}");
    (serde_yaml::from_str(text).unwrap(), out)
}

/// The pod template of a workload and its hookgate container (in containers or, as a native
/// sidecar, initContainers).
fn hookgate_container(pod: &Value) -> (&Value, bool) {
    let find = |list: &str| {
        seq(&pod["spec"][list])
            .iter()
            .find(|c| c["name"] == "hookgate")
    };
    match (find("containers"), find("initContainers")) {
        (Some(c), None) => (c, false),
        (None, Some(c)) => (c, true),
        other => panic!("hookgate container once, in containers or initContainers: {other:?}"),
    }
}

fn port_of(container: &Value, port_name: &str) -> u64 {
    seq(&container["ports"])
        .iter()
        .find(|p| p["name"] == port_name)
        .and_then(|p| p["containerPort"].as_u64())
        .unwrap_or_else(|| panic!("no port {port_name}"))
}

/// What every hookgate container must look like, whichever mode rendered it.
fn check_container(label: &str, pod: &Value, existing_secret: Option<&str>, config_map: &str) {
    check_container_with_claims(label, pod, &[], existing_secret, config_map);
}

/// [`check_container`] for a StatefulSet's pod: `claims` are its volumeClaimTemplates' names,
/// volumes the pod spec does not list.
fn check_container_with_claims(
    label: &str,
    pod: &Value,
    claims: &[&str],
    existing_secret: Option<&str>,
    config_map: &str,
) {
    let (c, native) = hookgate_container(pod);
    assert_eq!(port_of(c, "hookgate-http"), 8080, "{label}");
    assert_eq!(port_of(c, "hookgate-admin"), 9090, "{label}");
    for (probe, path) in [
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
        ("startupProbe", "/readyz"),
    ] {
        let get = &c[probe]["httpGet"];
        assert_eq!(s(&get["path"]), path, "{label} {probe}");
        assert_eq!(s(&get["port"]), "hookgate-admin", "{label} {probe}");
    }
    let sc = &c["securityContext"];
    assert_eq!(sc["runAsNonRoot"], true, "{label}");
    assert_eq!(sc["readOnlyRootFilesystem"], true, "{label}");
    assert_eq!(sc["allowPrivilegeEscalation"], false, "{label}");
    assert!(sc["runAsUser"].as_u64().unwrap() > 0, "{label}");
    assert_eq!(
        seq(&sc["capabilities"]["drop"]),
        [Value::from("ALL")],
        "{label}"
    );
    assert_eq!(
        s(&sc["seccompProfile"]["type"]),
        "RuntimeDefault",
        "{label}"
    );
    assert!(c["resources"]["requests"]["memory"].is_string(), "{label}");
    assert!(c["resources"]["limits"]["memory"].is_string(), "{label}");
    if native {
        assert_eq!(s(&c["restartPolicy"]), "Always", "{label}");
    } else {
        assert!(c.get("restartPolicy").is_none(), "{label}");
    }

    // Mounts: everything read-only but /tmp and the queue's store; secrets only when a Secret
    // is given.
    let mounts: BTreeMap<&str, &Value> = seq(&c["volumeMounts"])
        .iter()
        .map(|m| (s(&m["name"]), m))
        .collect();
    assert_eq!(s(&mounts["hookgate-config"]["mountPath"]), "/etc/hookgate");
    for (n, m) in &mounts {
        assert!(
            m.get("subPath").is_none(),
            "{label}: {n} must not use subPath (no updates)"
        );
        if *n == "hookgate-queue" {
            assert!(
                m.get("readOnly").is_none(),
                "{label}: the queue's store is written"
            );
        } else if *n != "hookgate-tmp" {
            assert_eq!(m["readOnly"], true, "{label}: mount {n} read-only");
        }
    }
    let volumes: BTreeMap<&str, &Value> = seq(&pod["spec"]["volumes"])
        .iter()
        .map(|v| (s(&v["name"]), v))
        .collect();
    for n in mounts.keys() {
        assert!(
            volumes.contains_key(n) != claims.contains(n),
            "{label}: volume {n} missing, or both a volume and a claim"
        );
    }
    assert_eq!(
        s(&volumes["hookgate-config"]["configMap"]["name"]),
        config_map,
        "{label}"
    );
    match existing_secret {
        Some(secret) => {
            let m = mounts["hookgate-secrets"];
            assert_eq!(s(&m["mountPath"]), "/var/run/secrets/hookgate", "{label}");
            assert_eq!(m["readOnly"], true, "{label}");
            let v = &volumes["hookgate-secrets"]["secret"];
            assert_eq!(s(&v["secretName"]), secret, "{label}");
            let mode = v["defaultMode"].as_u64().unwrap();
            assert_eq!(mode & 0o222, 0, "{label}: secret files are not writable");
            assert_eq!(mode & 0o111, 0, "{label}: secret files are not executable");
        }
        None => assert!(!mounts.contains_key("hookgate-secrets"), "{label}"),
    }
}

fn pod_annotations(pod: &Value) -> BTreeMap<String, String> {
    pod["metadata"]["annotations"]
        .as_mapping()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (s(k).to_owned(), s(v).to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn labels_match(selector: &Value, labels: &Value) -> bool {
    let sel = selector.as_mapping().expect("matchLabels");
    !sel.is_empty() && sel.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// The prometheus-operator objects, without a schema: the fields the operator reads, and no
/// others at the levels we write.
fn check_crd(label: &str, o: &Value) {
    assert_eq!(s(&o["apiVersion"]), "monitoring.coreos.com/v1", "{label}");
    assert!(!name(o).is_empty(), "{label}");
    let keys = |v: &Value| -> BTreeSet<String> {
        v.as_mapping()
            .unwrap_or_else(|| panic!("{label}: not a mapping: {v:?}"))
            .keys()
            .map(|k| s(k).to_owned())
            .collect()
    };
    let allowed = |v: &Value, ok: &[&str], what: &str| {
        for k in keys(v) {
            assert!(ok.contains(&k.as_str()), "{label}: unknown key {what}.{k}");
        }
    };
    let duration = |v: &Value, what: &str| {
        let d = s(v);
        let digits = d.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        assert!(
            !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit())
                && ["ms", "s", "m", "h"].contains(&&d[digits.len()..]),
            "{label}: {what} {d:?} is not a Prometheus duration"
        );
    };
    allowed(o, &["apiVersion", "kind", "metadata", "spec"], "");
    allowed(
        &o["metadata"],
        &["name", "namespace", "labels", "annotations"],
        "metadata",
    );
    let spec = &o["spec"];
    match kind(o) {
        "ServiceMonitor" | "PodMonitor" => {
            let (list, ok): (&str, &[&str]) = if kind(o) == "ServiceMonitor" {
                ("endpoints", &["selector", "namespaceSelector", "endpoints"])
            } else {
                (
                    "podMetricsEndpoints",
                    &["selector", "namespaceSelector", "podMetricsEndpoints"],
                )
            };
            allowed(spec, ok, "spec");
            allowed(&spec["selector"], &["matchLabels"], "spec.selector");
            assert!(
                !keys(&spec["selector"]["matchLabels"]).is_empty(),
                "{label}"
            );
            assert_eq!(
                seq(&spec["namespaceSelector"]["matchNames"]),
                [Value::from(NAMESPACE)],
                "{label}"
            );
            let eps = seq(&spec[list]);
            assert!(!eps.is_empty(), "{label}");
            for ep in eps {
                allowed(
                    ep,
                    &[
                        "port",
                        "path",
                        "interval",
                        "scrapeTimeout",
                        "relabelings",
                        "metricRelabelings",
                    ],
                    list,
                );
                assert!(!s(&ep["port"]).is_empty(), "{label}");
                assert_eq!(s(&ep["path"]), "/metrics", "{label}");
                duration(&ep["interval"], "interval");
                duration(&ep["scrapeTimeout"], "scrapeTimeout");
            }
        }
        "PrometheusRule" => {
            allowed(spec, &["groups"], "spec");
            let groups = seq(&spec["groups"]);
            assert!(!groups.is_empty(), "{label}");
            for g in groups {
                allowed(g, &["name", "interval", "rules"], "group");
                assert!(!s(&g["name"]).is_empty());
                for r in seq(&g["rules"]) {
                    allowed(
                        r,
                        &["alert", "record", "expr", "for", "labels", "annotations"],
                        "rule",
                    );
                    assert!(!s(&r["expr"]).trim().is_empty(), "{label}");
                    if r.get("alert").is_some() {
                        assert!(
                            ["warning", "critical"].contains(&s(&r["labels"]["severity"])),
                            "{label}: {r:?}"
                        );
                        assert!(!s(&r["annotations"]["summary"]).is_empty());
                        assert!(!s(&r["annotations"]["description"]).is_empty());
                        if let Some(f) = r.get("for") {
                            duration(f, "for");
                        }
                    }
                }
            }
        }
        other => panic!("{label}: unexpected CRD kind {other}"),
    }
}

/// `promtool check rules` on a PrometheusRule's spec (it is a rules file's content).
fn promtool_check_rules(dir: &Path, label: &str, rule: &Value) -> PathBuf {
    let path = dir.join(format!("{label}.rules.yaml"));
    std::fs::write(&path, serde_yaml::to_string(&rule["spec"]).unwrap()).unwrap();
    let out = run(Command::new("promtool").args(["check", "rules"]).arg(&path));
    assert!(out.contains("SUCCESS"), "{label}: {out}");
    path
}

// ---------------------------------------------------------------------------------------------
// The tests.

/// The chart's `ci/*-values.yaml`, by name, checked to include every one of [`SCENARIOS`].
fn ci_scenarios(chart: &Path) -> Vec<(String, PathBuf)> {
    let mut scenarios: Vec<(String, PathBuf)> = std::fs::read_dir(chart.join("ci"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            let stem = p.file_stem().unwrap().to_str().unwrap();
            (stem.trim_end_matches("-values").to_owned(), p)
        })
        .collect();
    scenarios.sort();
    let names: BTreeSet<&str> = scenarios.iter().map(|(n, _)| n.as_str()).collect();
    for required in SCENARIOS {
        assert!(
            names.contains(required),
            "charts/hookgate/ci lacks {required}-values.yaml"
        );
    }
    scenarios
}

#[test]
fn chart_scenarios_lint_render_and_validate() {
    if !have_tools(
        "chart_scenarios_lint_render_and_validate",
        &["helm", "kubernetes-validate", "promtool"],
    ) {
        return;
    }
    let chart = chart_dir();
    let tmp = tempfile::tempdir().unwrap();
    for (label, values) in &ci_scenarios(&chart) {
        lint(&chart, &[values]);
        let objects = template(&chart, &[values], &[]);
        let v: Value = serde_yaml::from_str(&std::fs::read_to_string(values).unwrap()).unwrap();
        let mode = v["mode"].as_str().unwrap_or("standalone");
        let existing_cm = v["existingConfigMap"].as_str();
        let existing_secret = v["secrets"]["existingSecret"].as_str();
        let fullname = format!("{RELEASE}-hookgate");

        kube_validate(tmp.path(), label, &objects);
        for o in objects.iter().filter(|o| CRD_KINDS.contains(&kind(o))) {
            check_crd(label, o);
        }
        for o in &objects {
            assert_eq!(
                o["metadata"]["labels"]["app.kubernetes.io/name"],
                "hookgate",
                "{label}: {} {} carries the chart's labels",
                kind(o),
                name(o)
            );
        }

        // The config: rendered and valid, or the user's own ConfigMap.
        let config_map = match existing_cm {
            Some(cm) => {
                assert!(
                    !objects
                        .iter()
                        .any(|o| kind(o) == "ConfigMap" && name(o) == fullname),
                    "{label}: no ConfigMap of ours with existingConfigMap"
                );
                cm.to_owned()
            }
            None => {
                let cm = named(&objects, "ConfigMap", &fullname);
                let cfg = check_rendered_config(tmp.path(), label, cm);
                assert_eq!(s(&cfg["listen"]), "0.0.0.0:8080", "{label}");
                assert_eq!(s(&cfg["admin_listen"]), "0.0.0.0:9090", "{label}");
                fullname.clone()
            }
        };

        if let Some(rule) = objects.iter().find(|o| kind(o) == "PrometheusRule") {
            promtool_check_rules(tmp.path(), label, rule);
        }
        if let Some(cm) = objects.iter().find(|o| name(o).ends_with("-dashboard")) {
            assert_eq!(s(&cm["metadata"]["labels"]["grafana_dashboard"]), "1");
            let json: serde_json::Value =
                serde_json::from_str(s(&cm["data"]["hookgate.json"])).unwrap();
            assert!(!dashboard_exprs(&json).is_empty());
            // Grafana's layout: unique panel ids, every panel inside the 24-column grid.
            let panels = json["panels"].as_array().unwrap();
            let ids: BTreeSet<u64> = panels.iter().map(|p| p["id"].as_u64().unwrap()).collect();
            assert_eq!(ids.len(), panels.len(), "{label}: panel ids are unique");
            for p in panels {
                let g = &p["gridPos"];
                let (x, w) = (g["x"].as_u64().unwrap(), g["w"].as_u64().unwrap());
                assert!(x + w <= 24 && g["h"].as_u64().unwrap() > 0, "{label}: {p}");
            }
        }

        match mode {
            "standalone" => check_standalone(label, &v, &objects, existing_secret, &config_map),
            "sidecar" => check_sidecar_mode(label, &objects),
            other => panic!("{label}: mode {other}"),
        }
    }
}

/// A standalone render: Deployment (a StatefulSet with the queue on a PVC), its Service, and
/// whichever of Ingress, PDB, NetworkPolicy and monitors the scenario turns on, all pointing at
/// each other.
fn check_standalone(
    label: &str,
    v: &Value,
    objects: &[Value],
    existing_secret: Option<&str>,
    config_map: &str,
) {
    let fullname = format!("{RELEASE}-hookgate");
    let existing_cm = v["existingConfigMap"].as_str();
    let workloads: Vec<&Value> = objects
        .iter()
        .filter(|o| ["Deployment", "StatefulSet"].contains(&kind(o)))
        .collect();
    assert_eq!(workloads.len(), 1, "{label}: one Deployment or StatefulSet");
    let deploy = workloads[0];
    let pod = &deploy["spec"]["template"];
    let claims: Vec<&str> = seq(&deploy["spec"]["volumeClaimTemplates"])
        .iter()
        .map(|c| s(&c["metadata"]["name"]))
        .collect();
    check_container_with_claims(label, pod, &claims, existing_secret, config_map);
    assert!(labels_match(
        &deploy["spec"]["selector"]["matchLabels"],
        &pod["metadata"]["labels"]
    ));
    let sc = &pod["spec"]["securityContext"];
    assert_eq!(sc["runAsNonRoot"], true, "{label}");
    assert_eq!(
        s(&sc["seccompProfile"]["type"]),
        "RuntimeDefault",
        "{label}"
    );
    assert_eq!(
        pod["spec"]["automountServiceAccountToken"], false,
        "{label}"
    );
    assert!(
        pod["spec"]["terminationGracePeriodSeconds"]
            .as_u64()
            .unwrap()
            > 20,
        "{label}: longer than the default shutdown_grace"
    );
    let ann = pod_annotations(pod);
    assert_eq!(ann["prometheus.io/scrape"], "true");
    assert_eq!(ann["prometheus.io/port"], "9090");
    assert_eq!(
        ann.contains_key("checksum/hookgate-config"),
        existing_cm.is_none(),
        "{label}: checksum only for a config rendered from values"
    );

    let svc = named(objects, "Service", &fullname);
    assert!(labels_match(
        &svc["spec"]["selector"],
        &pod["metadata"]["labels"]
    ));
    let ports = seq(&svc["spec"]["ports"]);
    assert_eq!(
        ports.len(),
        1,
        "{label}: the senders' Service exposes no admin port"
    );
    assert_eq!(s(&ports[0]["targetPort"]), "hookgate-http");

    let replicas = deploy["spec"]["replicas"].as_u64().unwrap();
    let pdb = objects.iter().find(|o| kind(o) == "PodDisruptionBudget");
    assert_eq!(
        pdb.is_some(),
        replicas > 1,
        "{label}: a PDB exactly when replicas > 1"
    );
    if let Some(pdb) = pdb {
        assert!(labels_match(
            &pdb["spec"]["selector"]["matchLabels"],
            &pod["metadata"]["labels"]
        ));
    }
    if let Some(np) = objects.iter().find(|o| kind(o) == "NetworkPolicy") {
        // The app's pods, reachable on their port from hookgate's pods only.
        assert_eq!(
            np["spec"]["podSelector"]["matchLabels"],
            v["networkPolicy"]["appPodSelector"]
        );
        let rule = &seq(&np["spec"]["ingress"])[0];
        assert_eq!(seq(&rule["from"]).len(), 1);
        assert!(labels_match(
            &rule["from"][0]["podSelector"]["matchLabels"],
            &pod["metadata"]["labels"]
        ));
        assert_eq!(rule["ports"][0]["port"], 3000);
    }
    if let Some(ing) = objects.iter().find(|o| kind(o) == "Ingress") {
        let paths: Vec<&Value> = seq(&ing["spec"]["rules"])
            .iter()
            .flat_map(|r| seq(&r["http"]["paths"]))
            .collect();
        for p in &paths {
            assert_eq!(s(&p["backend"]["service"]["name"]), fullname);
            assert_eq!(s(&p["backend"]["service"]["port"]["name"]), "http");
        }
        if existing_cm.is_none() {
            // Only the webhook paths, exactly.
            let want: Vec<&str> = seq(&v["config"]["routes"])
                .iter()
                .map(|r| s(&r["path"]))
                .collect();
            let got: Vec<&str> = paths.iter().map(|p| s(&p["path"])).collect();
            assert_eq!(got, want, "{label}");
            assert!(paths.iter().all(|p| p["pathType"] == "Exact"));
        }
    }
    if let Some(sm) = objects.iter().find(|o| kind(o) == "ServiceMonitor") {
        let metrics = named(objects, "Service", &format!("{fullname}-metrics"));
        assert!(labels_match(
            &sm["spec"]["selector"]["matchLabels"],
            &metrics["metadata"]["labels"]
        ));
        assert!(
            !labels_match(
                &sm["spec"]["selector"]["matchLabels"],
                &svc["metadata"]["labels"]
            ),
            "{label}: the ServiceMonitor must not scrape the senders' Service"
        );
        let port = s(&sm["spec"]["endpoints"][0]["port"]);
        let mp = &seq(&metrics["spec"]["ports"])[0];
        assert_eq!(s(&mp["name"]), port);
        assert_eq!(s(&mp["targetPort"]), "hookgate-admin");
    }
    if let Some(pm) = objects.iter().find(|o| kind(o) == "PodMonitor") {
        assert!(labels_match(
            &pm["spec"]["selector"]["matchLabels"],
            &pod["metadata"]["labels"]
        ));
        assert_eq!(
            s(&pm["spec"]["podMetricsEndpoints"][0]["port"]),
            "hookgate-admin"
        );
    }
    if label == "standalone-full" {
        assert_eq!(replicas, 3);
        for k in [
            "Ingress",
            "PodDisruptionBudget",
            "NetworkPolicy",
            "ServiceMonitor",
            "PodMonitor",
            "PrometheusRule",
        ] {
            assert!(kinds(objects).contains(k), "{label}: no {k}");
        }
    }
    if label == "standalone-queue" {
        // The queue on PVCs: a StatefulSet, a claim per replica, the queue's alerts.
        assert_eq!(kind(deploy), "StatefulSet", "{label}");
        assert_eq!(replicas, 2);
        assert_eq!(claims, ["hookgate-queue"], "{label}");
        assert_eq!(queue_alerts(objects).len(), 3, "{label}");
        // Each replica reports its own queue: the dashboard sums them.
        let depth = queue_gauge_exprs(objects, "hookgate_queue_depth");
        assert!(
            depth.starts_with("sum by (route) (hookgate_queue_depth{"),
            "{depth}"
        );
    }
    if label == "standalone-queue-redis" {
        // The queue on Redis, shared by the replicas: a Deployment, no claim, no queue volume,
        // the queue's alerts all the same.
        assert_eq!(kind(deploy), "Deployment", "{label}");
        assert!(!kinds(objects).contains("StatefulSet"), "{label}");
        assert_eq!(replicas, 3);
        assert!(claims.is_empty(), "{label}");
        assert_eq!(
            mount_and_volume(pod, "hookgate-queue"),
            (None, None),
            "{label}"
        );
        assert_eq!(
            queue_alerts(objects),
            [
                "HookgateQueueOldestAge",
                "HookgateDeadLettersGrowing",
                "HookgateQueueNearlyFull"
            ],
            "{label}"
        );
        // Every replica reports the whole queue: one value per release, not a sum of pods.
        for gauge in ["hookgate_queue_depth", "hookgate_queue_dead_letters"] {
            let e = queue_gauge_exprs(objects, gauge);
            assert!(
                e.starts_with(&format!(
                    "sum by (route) (max by (namespace, route) ({gauge}{{"
                )),
                "{label}: {e}"
            );
        }
    }
    if label == "standalone-minimal" {
        assert_eq!(
            kinds(objects),
            BTreeSet::from(
                ["ConfigMap", "Deployment", "Service", "ServiceAccount"].map(String::from)
            )
        );
    }
}

/// The dashboard's expression reading the queue gauge `gauge` (a route's depth or dead letters).
fn queue_gauge_exprs(objects: &[Value], gauge: &str) -> String {
    let cm = named(
        objects,
        "ConfigMap",
        &format!("{RELEASE}-hookgate-dashboard"),
    );
    let json: serde_json::Value = serde_json::from_str(s(&cm["data"]["hookgate.json"])).unwrap();
    let found: Vec<String> = dashboard_exprs(&json)
        .into_iter()
        .map(|(_, e)| e)
        .filter(|e| e.contains(&format!("({gauge}{{")))
        .collect();
    assert_eq!(found.len(), 1, "{gauge}: {found:?}");
    found[0].clone()
}

/// A sidecar-mode render: only the config and monitoring; the pod is the app chart's.
fn check_sidecar_mode(label: &str, objects: &[Value]) {
    let fullname = format!("{RELEASE}-hookgate");
    // Only the config and monitoring: the pod is the app's chart's.
    for k in ["Deployment", "Service", "Ingress", "ServiceAccount"] {
        assert!(!kinds(objects).contains(k), "{label}: renders a {k}");
    }
    if let Some(pm) = objects.iter().find(|o| kind(o) == "PodMonitor") {
        assert_eq!(
            s(&pm["spec"]["selector"]["matchLabels"]["hookgate/instance"]),
            fullname
        );
    }
}

#[test]
fn checksum_annotation_follows_the_config_only() {
    if !have_tools("checksum_annotation_follows_the_config_only", &["helm"]) {
        return;
    }
    let chart = chart_dir();
    let values = chart.join("ci/standalone-minimal-values.yaml");
    let checksum = |extra: &[&str]| -> String {
        let objects = template(&chart, &[&values], extra);
        let pod = &one(&objects, "Deployment")["spec"]["template"];
        pod_annotations(pod)["checksum/hookgate-config"].clone()
    };
    let base = checksum(&[]);
    assert_eq!(base.len(), 64);
    assert_eq!(checksum(&[]), base, "rendering is deterministic");
    assert_ne!(checksum(&["--set", "config.routes[0].max_age=10m"]), base);
    assert_ne!(checksum(&["--set", "config.upstream.timeout=5s"]), base);
    assert_ne!(
        checksum(&["--set", "containerPorts.http=8081"]),
        base,
        "listen is in the config"
    );
    assert_eq!(
        checksum(&["--set", "replicaCount=2"]),
        base,
        "not a config change"
    );
}

#[test]
fn schema_and_guards_reject_mistakes() {
    if !have_tools("schema_and_guards_reject_mistakes", &["helm"]) {
        return;
    }
    let chart = chart_dir();
    let minimal = chart.join("ci/standalone-minimal-values.yaml");
    let lint_fails = |set: &str| {
        run_failing(
            helm(&["lint", "--strict", chart.to_str().unwrap(), "-f"])
                .arg(&minimal)
                .args(["--set", set]),
        )
    };
    // values.schema.json: strict at the top and in the chart's own objects.
    assert!(lint_fails("replicas=2").contains("additional properties 'replicas' not allowed"));
    assert!(lint_fails("mode=daemonset").contains("mode"));
    assert!(lint_fails("ingress.hots=x").contains("hots"));
    assert!(lint_fails("metrics.prometheusRule.rejectionRatio.warning=2").contains("warning"));
    // Template guards, with a message saying what to do.
    let fails =
        |values: &Path, extra: &[&str]| run_failing(&mut template_cmd(&chart, &[values], extra));
    assert!(fails(&minimal, &["--set", "config.listen=0.0.0.0:1"]).contains("containerPorts"));
    assert!(fails(&minimal, &["--set", "config.routes=null"]).contains("config.routes is empty"));
    assert!(fails(&minimal, &["--set", "networkPolicy.enabled=true"])
        .contains("networkPolicy.appPodSelector is required"));
    assert!(fails(
        &chart.join("ci/existing-configmap-values.yaml"),
        &["--set-json", r#"ingress.hosts=[{"host":"h"}]"#]
    )
    .contains("paths is required"));
    assert!(lint_fails("debugEndpoints.token=x").contains("token"));
    assert!(fails(
        &minimal,
        &[
            "--set",
            "debugEndpoints.enabled=true",
            "--set",
            "config.admin.debug=true"
        ]
    )
    .contains("not both"));
    assert!(fails(
        &minimal,
        &[
            "--set",
            "debugEndpoints.tokenKey=t",
            "--set",
            "secrets.existingSecret="
        ]
    )
    .contains("set secrets.existingSecret"));

    // Queued delivery: the schema, then the guards.
    assert!(lint_fails("queue.persistence.type=hostPath").contains("emptyDir"));
    assert!(lint_fails("queue.persistence.sizelimit=1Gi").contains("sizelimit"));
    assert!(
        lint_fails("queue.maxBytes=1Gi").contains("maxBytes"),
        "hookgate's size syntax"
    );
    assert!(lint_fails("queue.path=queue.redb").contains("path"));
    for delivery in [r#""queued""#, r#"{"mode":"queued","concurrency":2}"#] {
        let set = format!("config.routes[0].delivery={delivery}");
        assert!(fails(&minimal, &["--set-json", &set])
            .contains("route \"github\" has delivery: queued but queue.enabled is false"));
    }
    let queue = ["--set", "queue.enabled=true"];
    let with_queue = |extra: &[&'static str]| -> Vec<&str> { [&queue[..], extra].concat() };
    assert!(fails(
        &minimal,
        &with_queue(&["--set", "config.queue.path=/data/q.redb"])
    )
    .contains("do not set config.queue.path"));
    assert!(
        fails(&minimal, &with_queue(&["--set", "queue.path=/tmp/q.redb"]))
            .contains("would cover /tmp")
    );
    assert!(
        fails(&minimal, &with_queue(&["--set", "queue.path=/etc/q.redb"]))
            .contains("would cover /etc/hookgate")
    );
    let pvc = ["--set", "queue.persistence.type=pvc"];
    assert!(fails(
        &minimal,
        &with_queue(&[&pvc[..], &["--set", "queue.persistence.size=512Mi"][..]].concat())
    )
    .contains("queue.persistence.size 512Mi is smaller than queue.maxBytes 1GiB"));
    assert!(
        fails(&chart.join("ci/sidecar-values.yaml"), &with_queue(&pvc))
            .contains("queue.persistence.type=pvc needs mode: standalone")
    );

    // The queue on Redis: the schema, then the guards.
    assert!(lint_fails("queue.backend=kafka").contains("backend"));
    assert!(
        lint_fails("queue.redis.url=redis://user:hunter2@redis:6379").contains("url"),
        "no credentials in the URL (a ConfigMap): passwordKey"
    );
    assert!(lint_fails("queue.redis.db=1").contains("db"));
    let on_redis = |extra: &[&'static str]| -> Vec<&str> {
        [&queue[..], &["--set", "queue.backend=redis"][..], extra].concat()
    };
    let url = ["--set", "queue.redis.url=redis://redis:6379"];
    let err = fails(&minimal, &on_redis(&[&url[..], &pvc[..]].concat()));
    assert!(
        err.contains("queue.persistence.type=pvc with queue.backend=redis")
            && err.contains("persistence is Redis's"),
        "{err}"
    );
    let err = fails(&minimal, &on_redis(&[]));
    assert!(
        err.contains("no Redis connection is set")
            && err.contains("queue.redis.url")
            && err.contains("config.dedup.redis"),
        "{err}"
    );
    let err = fails(
        &minimal,
        &on_redis(
            &[
                &url[..],
                &[
                    "--set",
                    "queue.redis.passwordKey=redis-password",
                    "--set",
                    "secrets.existingSecret=",
                ][..],
            ]
            .concat(),
        ),
    );
    assert!(
        err.contains("queue.redis.passwordKey names a key of secrets.existingSecret"),
        "{err}"
    );
    assert!(fails(
        &minimal,
        &on_redis(&["--set", "config.queue.redis.key_prefix=hg:"])
    )
    .contains("config.queue.redis has no url"));
    assert!(fails(
        &minimal,
        &on_redis(
            &[
                &url[..],
                &["--set", "config.queue.redis.url=redis://other:6379"][..]
            ]
            .concat()
        )
    )
    .contains("not both"));
    assert!(fails(
        &minimal,
        &with_queue(&["--set", "config.queue.backend=redis"])
    )
    .contains("do not set config.queue.backend"));
    assert!(fails(&minimal, &with_queue(&url))
        .contains("queue.redis.url and queue.redis.passwordKey are for queue.backend: redis"));
}

#[test]
fn debug_endpoints_are_off_unless_the_values_turn_them_on() {
    if !have_tools(
        "debug_endpoints_are_off_unless_the_values_turn_them_on",
        &["helm"],
    ) {
        return;
    }
    let chart = chart_dir();
    let minimal = chart.join("ci/standalone-minimal-values.yaml");
    let tmp = tempfile::tempdir().unwrap();
    let admin_of = |extra: &[&str], label: &str| {
        let objects = template(&chart, &[&minimal], extra);
        let cm = one(&objects, "ConfigMap");
        check_rendered_config(tmp.path(), label, cm)["admin"].clone()
    };
    assert_eq!(
        admin_of(&[], "off"),
        Value::Null,
        "not rendered: hookgate's default, off"
    );
    let on = admin_of(
        &[
            "--set",
            "debugEndpoints.enabled=true",
            "--set",
            "debugEndpoints.tokenKey=admin-token",
        ],
        "on",
    );
    assert_eq!(on["debug"], Value::Bool(true));
    assert_eq!(
        s(&on["token"]["file"]),
        "/var/run/secrets/hookgate/admin-token"
    );
}

#[test]
fn tracing_values_become_the_containers_otel_env() {
    if !have_tools("tracing_values_become_the_containers_otel_env", &["helm"]) {
        return;
    }
    let chart = chart_dir();
    let minimal = chart.join("ci/standalone-minimal-values.yaml");
    let env_of = |extra: &[&str]| {
        let objects = template(&chart, &[&minimal], extra);
        let pod = &one(&objects, "Deployment")["spec"]["template"];
        let (c, _) = hookgate_container(pod);
        seq(&c["env"])
            .iter()
            .map(|e| (s(&e["name"]).to_owned(), s(&e["value"]).to_owned()))
            .collect::<Vec<_>>()
    };
    assert!(
        env_of(&[]).iter().all(|(n, _)| !n.starts_with("OTEL_")),
        "off by default: no OTEL_* variable"
    );
    let on = env_of(&[
        "--set",
        "tracing.otlpEndpoint=http://otel-collector.observability:4318",
        "--set",
        "tracing.samplerArg=0.25",
        "--set",
        "env[0].name=RUST_LOG",
        "--set",
        "env[0].value=info",
    ]);
    let get = |n: &str| on.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert_eq!(
        get("OTEL_EXPORTER_OTLP_ENDPOINT"),
        Some("http://otel-collector.observability:4318")
    );
    assert_eq!(get("OTEL_EXPORTER_OTLP_PROTOCOL"), Some("http/protobuf"));
    assert_eq!(get("OTEL_TRACES_SAMPLER"), Some("parentbased_traceidratio"));
    assert_eq!(get("OTEL_TRACES_SAMPLER_ARG"), Some("0.25"));
    assert!(get("OTEL_SERVICE_NAME").is_some_and(|n| n.contains("hookgate")));
    // The user's own env comes after, so a variable of the same name there wins.
    assert_eq!(on.last().map(|(n, _)| n.as_str()), Some("RUST_LOG"));
    // A protocol not built in is refused at install, not at the pod's start.
    let refused = run_failing(&mut template_cmd(
        &chart,
        &[&minimal],
        &[
            "--set",
            "tracing.otlpEndpoint=http://c:4317",
            "--set",
            "tracing.protocol=grpc",
        ],
    ));
    assert!(refused.contains("protocol"), "{refused}");
}

/// The queue alerts of a render's PrometheusRule.
fn queue_alerts(objects: &[Value]) -> Vec<String> {
    objects
        .iter()
        .filter(|o| kind(o) == "PrometheusRule")
        .flat_map(|o| seq(&o["spec"]["groups"]))
        .flat_map(|g| seq(&g["rules"]))
        .filter_map(|r| r["alert"].as_str())
        .filter(|a| a.contains("Queue") || a.contains("DeadLetters"))
        .map(str::to_owned)
        .collect()
}

/// The hookgate container's mount and the pod's volume named `name`, if any.
fn mount_and_volume<'a>(pod: &'a Value, name: &str) -> (Option<&'a Value>, Option<&'a Value>) {
    let (c, _) = hookgate_container(pod);
    (
        seq(&c["volumeMounts"]).iter().find(|m| m["name"] == name),
        seq(&pod["spec"]["volumes"])
            .iter()
            .find(|v| v["name"] == name),
    )
}

#[test]
fn queue_storage_follows_mode_and_persistence() {
    // queue.enabled: the rendered config gets queue.path and queue.max_bytes, and the container a
    // writable volume at the path's folder: an emptyDir (standalone Deployment, or the sidecar
    // templates in the app's pod) or one PersistentVolumeClaim per replica (a StatefulSet in
    // place of the Deployment). Every rendered config passes `hookgate check --no-secrets`
    // (queue.path is absolute, so where the file is written does not matter).
    if !have_tools(
        "queue_storage_follows_mode_and_persistence",
        &["helm", "kubernetes-validate"],
    ) {
        return;
    }
    let chart = chart_dir();
    let tmp = tempfile::tempdir().unwrap();
    let fullname = format!("{RELEASE}-hookgate");
    let file = |name: &str, text: &str| -> PathBuf {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let parsed = |path: &Path| -> Value {
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    // hookgate reads the queue's store where the chart mounts it, and the queued routes as such.
    let config = |label: &str, objects: &[Value]| -> Value {
        let (cfg, out) = check_rendered_config_out(
            tmp.path(),
            label,
            named(objects, "ConfigMap", "hg-hookgate"),
        );
        if let Some(path) = cfg["queue"]["path"].as_str() {
            assert!(Path::new(path).is_absolute(), "{label}: {path}");
            assert!(out.contains(&format!("queue {path} ")), "{label}: {out}");
        }
        if cfg["queue"]["backend"] == "redis" {
            // Its own connection, or the dedup store's.
            let url = cfg["queue"]["redis"]["url"]
                .as_str()
                .or(cfg["dedup"]["redis"]["url"].as_str())
                .unwrap_or_else(|| panic!("{label}: no Redis url"));
            assert!(
                out.contains(&format!("queue redis {url} ")),
                "{label}: {out}"
            );
        }
        let queued = seq(&cfg["routes"])
            .iter()
            .filter(|r| r["delivery"] == "queued" || r["delivery"]["mode"] == "queued")
            .count();
        assert_eq!(
            out.matches(" delivery=queued(").count(),
            queued,
            "{label}: {out}"
        );
        cfg
    };
    let rules = ["--set", "metrics.prometheusRule.enabled=true"];

    // Off (the default): no queue in the config, no volume, no queue alerts.
    let minimal = chart.join("ci/standalone-minimal-values.yaml");
    let off = template(&chart, &[&minimal], &rules);
    assert!(config("queue-off", &off).get("queue").is_none());
    let pod = &one(&off, "Deployment")["spec"]["template"];
    assert_eq!(mount_and_volume(pod, "hookgate-queue"), (None, None));
    assert_eq!(queue_alerts(&off), Vec::<String>::new());

    // Standalone on an emptyDir: still the Deployment.
    let label = "queue-emptydir";
    let emptydir = file(
        "emptydir.yaml",
        r#"
queue:
  enabled: true
  maxBytes: 512MiB
  persistence: { sizeLimit: 2Gi }
config:
  queue: { max_dead_letters: 500, concurrency: 2 }
"#,
    );
    let values = [minimal.as_path(), emptydir.as_path()];
    lint(&chart, &values);
    let objects = template(
        &chart,
        &values,
        &[
            &rules[..],
            &[
                "--set-json",
                r#"config.routes[0].delivery={"mode":"queued","concurrency":1}"#,
            ],
        ]
        .concat(),
    );
    kube_validate(tmp.path(), label, &objects);
    check_standalone(
        label,
        &parsed(&minimal),
        &objects,
        Some("hookgate-signing"),
        &fullname,
    );
    assert!(!kinds(&objects).contains("StatefulSet"), "{label}");
    let cfg = config(label, &objects);
    assert_eq!(s(&cfg["queue"]["path"]), "/var/lib/hookgate/queue.redb");
    assert_eq!(s(&cfg["queue"]["max_bytes"]), "512MiB");
    assert_eq!(
        cfg["queue"]["max_dead_letters"], 500,
        "config.queue passes through"
    );
    assert_eq!(cfg["queue"]["concurrency"], 2);
    assert_eq!(s(&cfg["routes"][0]["delivery"]["mode"]), "queued");
    let pod = &one(&objects, "Deployment")["spec"]["template"];
    let (mount, volume) = mount_and_volume(pod, "hookgate-queue");
    assert_eq!(s(&mount.unwrap()["mountPath"]), "/var/lib/hookgate");
    assert_eq!(s(&volume.unwrap()["emptyDir"]["sizeLimit"]), "2Gi");
    assert_eq!(
        queue_alerts(&objects),
        [
            "HookgateQueueOldestAge",
            "HookgateDeadLettersGrowing",
            "HookgateQueueNearlyFull"
        ]
    );

    // Standalone on PVCs: a StatefulSet with one claim per replica, everything else as before.
    let label = "queue-pvc";
    let full = chart.join("ci/standalone-full-values.yaml");
    let pvc = file(
        "pvc.yaml",
        r#"
queue:
  enabled: true
  path: /data/queue/hookgate.redb
  persistence: { type: pvc, size: 5Gi, storageClass: fast-ssd }
"#,
    );
    let values = [full.as_path(), pvc.as_path()];
    lint(&chart, &values);
    let queued = ["--set", "config.routes[1].delivery=queued"];
    let objects = template(&chart, &values, &queued);
    kube_validate(tmp.path(), label, &objects);
    for o in objects.iter().filter(|o| CRD_KINDS.contains(&kind(o))) {
        check_crd(label, o);
    }
    check_standalone(
        label,
        &parsed(&full),
        &objects,
        Some("hookgate-signing"),
        &fullname,
    );
    assert!(!kinds(&objects).contains("Deployment"), "{label}");
    let sts = one(&objects, "StatefulSet");
    assert_eq!(name(sts), fullname);
    assert_eq!(sts["spec"]["replicas"], 3);
    assert_eq!(s(&sts["spec"]["serviceName"]), fullname);
    named(&objects, "Service", &fullname);
    assert!(kinds(&objects).contains("PodDisruptionBudget"));
    let claims = seq(&sts["spec"]["volumeClaimTemplates"]);
    assert_eq!(claims.len(), 1, "{label}");
    assert_eq!(s(&claims[0]["metadata"]["name"]), "hookgate-queue");
    let claim = &claims[0]["spec"];
    assert_eq!(seq(&claim["accessModes"]), [Value::from("ReadWriteOnce")]);
    assert_eq!(s(&claim["storageClassName"]), "fast-ssd");
    assert_eq!(s(&claim["resources"]["requests"]["storage"]), "5Gi");
    let pod = &sts["spec"]["template"];
    let (mount, volume) = mount_and_volume(pod, "hookgate-queue");
    assert_eq!(s(&mount.unwrap()["mountPath"]), "/data/queue");
    assert!(volume.is_none(), "{label}: the claim is the volume");
    let cfg = config(label, &objects);
    assert_eq!(s(&cfg["queue"]["path"]), "/data/queue/hookgate.redb");
    assert_eq!(s(&cfg["queue"]["max_bytes"]), "1GiB");
    assert_eq!(s(&cfg["routes"][1]["name"]), "github");
    assert_eq!(s(&cfg["routes"][1]["delivery"]), "queued");
    assert_eq!(queue_alerts(&objects).len(), 3, "{label}");
    // storageClass "-": an explicit empty class (a pre-provisioned volume); "": the default.
    let class = |set: &str| -> Option<Value> {
        let objects = template(
            &chart,
            &values,
            &[&queued[..], &["--set", set][..]].concat(),
        );
        one(&objects, "StatefulSet")["spec"]["volumeClaimTemplates"][0]["spec"]
            .get("storageClassName")
            .cloned()
    };
    assert_eq!(
        class("queue.persistence.storageClass=-"),
        Some(Value::from(""))
    );
    assert_eq!(class("queue.persistence.storageClass="), None);

    // On Redis (the ci scenario): the Deployment, never a StatefulSet, and no queue volume; the
    // config names the backend and the connection, with no path.
    let label = "queue-redis";
    let redis = chart.join("ci/standalone-queue-redis-values.yaml");
    let objects = template(&chart, &[&redis], &[]);
    kube_validate(tmp.path(), label, &objects);
    check_standalone(
        label,
        &parsed(&redis),
        &objects,
        Some("hookgate-signing"),
        &fullname,
    );
    assert!(!kinds(&objects).contains("StatefulSet"), "{label}");
    let pod = &one(&objects, "Deployment")["spec"]["template"];
    assert_eq!(
        mount_and_volume(pod, "hookgate-queue"),
        (None, None),
        "{label}"
    );
    let cfg = config(label, &objects);
    let q = &cfg["queue"];
    assert_eq!(s(&q["backend"]), "redis", "{label}");
    assert!(
        q.get("path").is_none(),
        "{label}: no file with backend redis"
    );
    assert_eq!(s(&q["max_bytes"]), "2GiB");
    assert_eq!(
        s(&q["redis"]["url"]),
        "redis://redis-master.redis.svc.cluster.local:6379/0"
    );
    assert_eq!(
        s(&q["redis"]["password"]["file"]),
        "/var/run/secrets/hookgate/redis-password",
        "queue.redis.passwordKey: a file of the Secret"
    );
    assert_eq!(
        s(&q["redis"]["key_prefix"]),
        "hookgate:shop:",
        "config.queue.redis passes through"
    );
    assert_eq!(s(&q["visibility_timeout"]), "30s");
    assert_eq!(q["max_dead_letters"], 50000);
    assert_eq!(queue_alerts(&objects).len(), 3, "{label}");
    // No queue.redis.url: config.queue.redis as written, or else hookgate takes the dedup
    // store's connection (no queue.redis rendered).
    let minimal_redis = [
        "--set",
        "queue.enabled=true",
        "--set",
        "queue.backend=redis",
        "--set",
        "config.routes[0].delivery=queued",
    ];
    for (label, extra, url) in [
        (
            "queue-redis-config",
            r#"config.queue={"redis":{"url":"redis://queue.redis:6379","timeout":"2s"}}"#,
            Some("redis://queue.redis:6379"),
        ),
        (
            "queue-redis-dedup",
            r#"config.dedup={"backend":"redis","redis":{"url":"redis://dedup.redis:6379"}}"#,
            None,
        ),
    ] {
        let args = [&minimal_redis[..], &["--set-json", extra][..]].concat();
        run(lint_cmd("helm", &chart, &[&minimal]).args(&args));
        let objects = template(&chart, &[&minimal], &args);
        let pod = &one(&objects, "Deployment")["spec"]["template"];
        assert_eq!(
            mount_and_volume(pod, "hookgate-queue"),
            (None, None),
            "{label}"
        );
        let cfg = config(label, &objects);
        assert_eq!(s(&cfg["queue"]["backend"]), "redis", "{label}");
        assert!(cfg["queue"].get("path").is_none(), "{label}");
        assert_eq!(
            cfg["queue"]["redis"]["url"].as_str(),
            url,
            "{label}: {cfg:?}"
        );
    }

    // Sidecar mode: the chart renders the config (and the alerts), no workload.
    let sidecar = chart.join("ci/sidecar-values.yaml");
    let on = ["--set", "queue.enabled=true"];
    run(lint_cmd("helm", &chart, &[&sidecar]).args(on));
    let objects = template(&chart, &[&sidecar], &on);
    check_sidecar_mode("sidecar-queue", &objects);
    assert!(!kinds(&objects).contains("StatefulSet"));
    assert_eq!(
        s(&config("sidecar-queue", &objects)["queue"]["path"]),
        "/var/lib/hookgate/queue.redb"
    );
    assert_eq!(queue_alerts(&objects).len(), 3);

    // ...and the app's pod gets the emptyDir from hookgate.sidecar.volumes, mounted by the
    // hookgate container, regular or native.
    let charts = tmp.path().join("charts");
    copy_dir(&chart, &charts.join("hookgate"));
    copy_dir(
        &Path::new(ROOT).join("charts/examples/node-app"),
        &charts.join("examples/node-app"),
    );
    let app = charts.join("examples/node-app");
    run(&mut helm(&["dependency", "build", app.to_str().unwrap()]));
    let native = app.join("ci/native-sidecar-values.yaml");
    let on = ["--set", "hookgate.queue.enabled=true"];
    for (label, values) in [
        ("node-app-queue", vec![]),
        ("node-app-native-queue", vec![native.as_path()]),
    ] {
        run(lint_cmd("helm", &app, &values).args(on));
        let objects = template(&app, &values, &on);
        kube_validate(tmp.path(), label, &objects);
        let pod = &one(&objects, "Deployment")["spec"]["template"];
        check_container(label, pod, Some("node-app-webhook-secrets"), "hg-hookgate");
        let volumes: Vec<&str> = seq(&pod["spec"]["volumes"])
            .iter()
            .map(|v| s(&v["name"]))
            .collect();
        assert_eq!(
            volumes,
            [
                "code",
                "hookgate-config",
                "hookgate-secrets",
                "hookgate-tmp",
                "hookgate-queue"
            ],
            "{label}"
        );
        let (mount, volume) = mount_and_volume(pod, "hookgate-queue");
        assert_eq!(s(&mount.unwrap()["mountPath"]), "/var/lib/hookgate");
        assert_eq!(
            volume.unwrap()["emptyDir"],
            Value::Mapping(Default::default())
        );
        assert_eq!(
            s(&config(label, &objects)["queue"]["path"]),
            "/var/lib/hookgate/queue.redb"
        );
    }
    // On Redis the app's pod gets no queue volume.
    let redis = [
        &on[..],
        &[
            "--set",
            "hookgate.queue.backend=redis",
            "--set",
            "hookgate.queue.redis.url=redis://redis:6379",
        ][..],
    ]
    .concat();
    let label = "node-app-redis-queue";
    run(lint_cmd("helm", &app, &[]).args(&redis));
    let objects = template(&app, &[], &redis);
    kube_validate(tmp.path(), label, &objects);
    let pod = &one(&objects, "Deployment")["spec"]["template"];
    check_container(label, pod, Some("node-app-webhook-secrets"), "hg-hookgate");
    assert_eq!(
        mount_and_volume(pod, "hookgate-queue"),
        (None, None),
        "{label}"
    );
    let cfg = config(label, &objects);
    assert_eq!(s(&cfg["queue"]["backend"]), "redis", "{label}");
    assert!(cfg["queue"].get("path").is_none(), "{label}");

    // A PVC is the standalone StatefulSet's: refused in sidecar mode, from the app chart too.
    let err = run_failing(&mut template_cmd(
        &app,
        &[],
        &[
            &on[..],
            &["--set", "hookgate.queue.persistence.type=pvc"][..],
        ]
        .concat(),
    ));
    assert!(
        err.contains("queue.persistence.type=pvc needs mode: standalone"),
        "{err}"
    );
}

#[test]
fn helm3_lints_and_renders_like_helm4() {
    let mut tools = vec!["helm"];
    tools.extend(HELM3);
    if !have_tools("helm3_lints_and_renders_like_helm4", &tools) {
        return;
    }
    // Each helm renders for the Kubernetes version it was built with unless told: ask both for
    // the same one (a native sidecar needs 1.29; Helm 3.12 defaults to 1.27).
    let kube = ["--kube-version", "1.33.0"];
    let chart = chart_dir();
    let scenarios = ci_scenarios(&chart);

    // The example app chart reads the dependency through `.Subcharts`: built by Helm 3 itself.
    let tmp = tempfile::tempdir().unwrap();
    let charts = tmp.path().join("charts");
    copy_dir(&chart, &charts.join("hookgate"));
    copy_dir(
        &Path::new(ROOT).join("charts/examples/node-app"),
        &charts.join("examples/node-app"),
    );
    let app = charts.join("examples/node-app");
    let native = app.join("ci/native-sidecar-values.yaml");

    for h3 in HELM3 {
        for (label, values) in &scenarios {
            run(&mut lint_cmd(h3, &chart, &[values]));
            assert_eq!(
                template_with(h3, &chart, &[values], &kube),
                template(&chart, &[values], &kube),
                "{h3}: {label} renders as with Helm 4"
            );
        }

        // The schema holds under Helm 3's validator too.
        let minimal = chart.join("ci/standalone-minimal-values.yaml");
        for (set, names) in [
            ("replicas=2", "replicas"),
            ("mode=daemonset", "mode"),
            ("ingress.hots=x", "hots"),
            ("metrics.prometheusRule.rejectionRatio.warning=2", "warning"),
        ] {
            let err = run_failing(lint_cmd(h3, &chart, &[&minimal]).args(["--set", set]));
            assert!(err.contains(names), "{h3} --set {set}: {err}");
        }

        // The queue's storage (emptyDir Deployment, PVC StatefulSet) and its size guard.
        let queue = ["--set", "queue.enabled=true"];
        let pvc = ["--set", "queue.persistence.type=pvc"];
        for extra in [&queue[..], &[&queue[..], &pvc[..]].concat()] {
            let args = [&kube[..], extra].concat();
            assert_eq!(
                template_with(h3, &chart, &[&minimal], &args),
                template(&chart, &[&minimal], &args),
                "{h3}: {extra:?} renders as with Helm 4"
            );
        }
        let small = [
            &queue[..],
            &pvc[..],
            &["--set", "queue.persistence.size=512Mi"][..],
        ]
        .concat();
        let err = run_failing(&mut template_cmd_with(h3, &chart, &[&minimal], &small));
        assert!(err.contains("smaller than queue.maxBytes"), "{h3}: {err}");

        run(&mut helm_with(
            h3,
            &["dependency", "build", app.to_str().unwrap()],
        ));
        run(&mut lint_cmd(h3, &app, &[&native]));
        for values in [vec![], vec![native.as_path()]] {
            assert_eq!(
                template_with(h3, &app, &values, &kube),
                template(&app, &values, &kube),
                "{h3}: node-app {values:?} renders as with Helm 4"
            );
        }
        let err = run_failing(&mut template_cmd_with(
            h3,
            &app,
            &[&native],
            &["--kube-version", "1.28.3"],
        ));
        assert!(
            err.contains("sidecar.native needs Kubernetes >= 1.29"),
            "{h3}: {err}"
        );
    }
}

#[test]
fn alerts_fire_when_they_should() {
    // `promtool test rules` on the rendered PrometheusRule: tests/fixtures/prometheus/
    // alerts.test.yaml feeds series and says which alerts fire, with which labels and summary.
    if !have_tools("alerts_fire_when_they_should", &["helm", "promtool"]) {
        return;
    }
    let chart = chart_dir();
    let objects = template(
        &chart,
        &[&chart.join("ci/standalone-full-values.yaml")],
        &[
            "--set",
            "metrics.prometheusRule.timestampSkew.thresholdSeconds=30",
            "--set",
            "queue.enabled=true",
        ],
    );
    let mut spec = one(&objects, "PrometheusRule")["spec"].clone();
    let groups = spec["groups"].as_sequence_mut().unwrap();
    let mut alerts = BTreeSet::new();
    for group in groups {
        for rule in group["rules"].as_sequence_mut().unwrap() {
            alerts.insert(s(&rule["alert"]).to_owned());
            // Prose, not checked; each alert's one-line summary is.
            rule["annotations"]
                .as_mapping_mut()
                .unwrap()
                .remove("description");
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("rules.yaml"),
        serde_yaml::to_string(&spec).unwrap(),
    )
    .unwrap();
    let tests =
        std::fs::read_to_string(Path::new(ROOT).join("tests/fixtures/prometheus/alerts.test.yaml"))
            .unwrap();
    std::fs::write(tmp.path().join("alerts.test.yaml"), &tests).unwrap();
    assert_eq!(alerts.len(), 17, "{alerts:?}");
    for alert in &alerts {
        assert!(
            tests.contains(&format!("alertname: {alert}\n")),
            "alerts.test.yaml has no case for {alert}"
        );
    }
    let out = run(Command::new("promtool")
        .args(["test", "rules", "alerts.test.yaml"])
        .current_dir(tmp.path()));
    assert!(out.contains("SUCCESS"), "{out}");
}

#[test]
fn config_example_renders_through_the_chart() {
    // Every key documented in config.example.yaml is accepted by the chart's schema and comes
    // out of the ConfigMap as a config hookgate accepts.
    if !have_tools("config_example_renders_through_the_chart", &["helm"]) {
        return;
    }
    let example: Value = serde_yaml::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("config.example.yaml")).unwrap(),
    )
    .unwrap();
    let mut config = example.as_mapping().unwrap().clone();
    config.remove("listen");
    config.remove("admin_listen");
    let mut values = serde_yaml::Mapping::new();
    let mut config_values = config.clone();
    // The queue's store is the chart's: its path and max_bytes are the values queue.path and
    // queue.maxBytes (queue.enabled mounts the storage), the rest of `queue:` stays in config.
    if let Some(queue) = config_values
        .get_mut("queue")
        .and_then(Value::as_mapping_mut)
    {
        let mut chart_queue = serde_yaml::Mapping::new();
        chart_queue.insert("enabled".into(), true.into());
        for (key, value) in [("path", "path"), ("max_bytes", "maxBytes")] {
            if let Some(v) = queue.remove(key) {
                chart_queue.insert(value.into(), v);
            }
        }
        values.insert("queue".into(), Value::Mapping(chart_queue));
    }
    values.insert("config".into(), Value::Mapping(config_values));
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("values.yaml");
    std::fs::write(&file, serde_yaml::to_string(&values).unwrap()).unwrap();
    let chart = chart_dir();
    lint(&chart, &[&file]);
    let objects = template(&chart, &[&file], &[]);
    let rendered = check_rendered_config(
        tmp.path(),
        "example",
        named(&objects, "ConfigMap", "hg-hookgate"),
    );
    for (k, v) in &config {
        assert_eq!(&rendered[k], v, "{k:?} survives rendering");
    }
}

#[test]
fn example_app_chart_embeds_the_sidecar() {
    if !have_tools(
        "example_app_chart_embeds_the_sidecar",
        &["helm", "kubernetes-validate"],
    ) {
        return;
    }
    // A copy keeps `helm dependency build` (which writes charts/ and Chart.lock) out of the tree;
    // the file:// dependency path stays valid because the layout is the same.
    let tmp = tempfile::tempdir().unwrap();
    let charts = tmp.path().join("charts");
    copy_dir(&chart_dir(), &charts.join("hookgate"));
    copy_dir(
        &Path::new(ROOT).join("charts/examples/node-app"),
        &charts.join("examples/node-app"),
    );
    let app = charts.join("examples/node-app");
    run(&mut helm(&["dependency", "build", app.to_str().unwrap()]));
    let native = app.join("ci/native-sidecar-values.yaml");
    lint(&app, &[]);
    lint(&app, &[&native]);

    let code_port = |objects: &[Value]| -> u64 {
        let cm = named(objects, "ConfigMap", "hg-node-app-code");
        let js = s(&cm["data"]["server.js"]);
        assert!(
            js.contains("\"127.0.0.1\""),
            "the app listens on loopback only"
        );
        let d = one(objects, "Deployment");
        let app = seq(&d["spec"]["template"]["spec"]["containers"])
            .iter()
            .find(|c| c["name"] == "app")
            .unwrap();
        s(&app["env"][0]["value"]).parse().unwrap()
    };

    for (label, values) in [
        ("node-app", vec![]),
        ("node-app-native", vec![native.as_path()]),
    ] {
        let objects = template(&app, &values, &[]);
        kube_validate(tmp.path(), label, &objects);
        let deploy = one(&objects, "Deployment");
        assert_eq!(name(deploy), "hg-node-app");
        let pod = &deploy["spec"]["template"];
        check_container(label, pod, Some("node-app-webhook-secrets"), "hg-hookgate");
        let (_, is_native) = hookgate_container(pod);
        assert_eq!(is_native, label == "node-app-native");
        let names = |list: &str| -> Vec<&str> {
            seq(&pod["spec"][list])
                .iter()
                .map(|c| s(&c["name"]))
                .collect()
        };
        if is_native {
            assert_eq!(names("initContainers"), ["hookgate"]);
            assert_eq!(names("containers"), ["app"]);
        } else {
            assert!(pod["spec"].get("initContainers").is_none());
            assert_eq!(names("containers"), ["app", "hookgate"]);
        }
        // The app's own volume and hookgate's, side by side.
        let volumes: Vec<&str> = seq(&pod["spec"]["volumes"])
            .iter()
            .map(|v| s(&v["name"]))
            .collect();
        assert_eq!(
            volumes,
            [
                "code",
                "hookgate-config",
                "hookgate-secrets",
                "hookgate-tmp"
            ]
        );
        let ann = pod_annotations(pod);
        assert!(ann.contains_key("checksum/code"));
        assert_eq!(ann["checksum/hookgate-config"].len(), 64);
        assert_eq!(ann["prometheus.io/port"], "9090");
        assert_eq!(
            s(&pod["metadata"]["labels"]["hookgate/instance"]),
            "hg-hookgate"
        );

        // Senders reach hookgate; hookgate reaches the app on loopback.
        let svc = one(&objects, "Service");
        assert_eq!(s(&svc["spec"]["ports"][0]["targetPort"]), "hookgate-http");
        let tmpdir = tmp.path().join(label);
        std::fs::create_dir_all(&tmpdir).unwrap();
        let cfg =
            check_rendered_config(&tmpdir, label, named(&objects, "ConfigMap", "hg-hookgate"));
        assert_eq!(
            s(&cfg["upstream"]["url"]),
            format!("http://127.0.0.1:{}", code_port(&objects))
        );
        if is_native {
            // The subchart's monitors come along, selecting this pod.
            let pm = one(&objects, "PodMonitor");
            assert!(labels_match(
                &pm["spec"]["selector"]["matchLabels"],
                &pod["metadata"]["labels"]
            ));
            one(&objects, "PrometheusRule");
        }
    }

    // A native sidecar needs 1.29: older clusters get a clear error, and the 1.27 schema agrees.
    let err = run_failing(&mut template_cmd(
        &app,
        &[&native],
        &["--kube-version", "1.28.3"],
    ));
    assert!(
        err.contains("sidecar.native needs Kubernetes >= 1.29"),
        "{err}"
    );
    let old = template(&app, &[&native], &[]);
    let file = tmp.path().join("native-on-1.27.yaml");
    std::fs::write(
        &file,
        serde_yaml::to_string(one(&old, "Deployment")).unwrap(),
    )
    .unwrap();
    let out = run_failing(
        Command::new("kubernetes-validate")
            .args(["--strict", "-k", "1.27.0"])
            .arg(&file),
    );
    assert!(out.contains("restartPolicy"), "{out}");

    // The sidecar templates refuse a hookgate dependency left in standalone mode.
    let err = run_failing(&mut template_cmd(
        &app,
        &[],
        &["--set", "hookgate.mode=standalone"],
    ));
    assert!(err.contains("set mode: sidecar"), "{err}");
}

#[test]
fn dockerfile_agrees_with_the_chart() {
    // No container engine here: check what the chart relies on instead.
    let dockerfile = std::fs::read_to_string(Path::new(ROOT).join("Dockerfile")).unwrap();
    let lines: Vec<&str> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    let froms: Vec<&&str> = lines.iter().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "multi-stage: {froms:?}");
    assert!(froms[0].starts_with("FROM rust:1-bookworm AS "));
    assert!(lines
        .iter()
        .any(|l| l.contains("cargo build --release --locked")));
    let values: Value =
        serde_yaml::from_str(&std::fs::read_to_string(chart_dir().join("values.yaml")).unwrap())
            .unwrap();
    let uid = values["securityContext"]["runAsUser"].as_u64().unwrap();
    let gid = values["securityContext"]["runAsGroup"].as_u64().unwrap();
    assert!(
        lines.contains(&format!("USER {uid}:{gid}").as_str()),
        "USER matches the chart"
    );
    assert!(lines.contains(&"EXPOSE 8080 9090"));
    assert_eq!(values["containerPorts"]["http"], 8080);
    assert_eq!(values["containerPorts"]["admin"], 9090);
    assert!(lines.contains(
        &r#"ENTRYPOINT ["/usr/local/bin/hookgate", "--config", "/etc/hookgate/config.yaml"]"#
    ));
    // Every COPY source of the build stage exists and is not excluded by .dockerignore.
    let ignore = std::fs::read_to_string(Path::new(ROOT).join(".dockerignore")).unwrap();
    for l in lines
        .iter()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let parts: Vec<&str> = l.split_whitespace().collect();
        for src in &parts[1..parts.len() - 1] {
            assert!(Path::new(ROOT).join(src).exists(), "COPY {src}: missing");
            let src = src.trim_end_matches('/');
            assert!(
                ignore
                    .lines()
                    .any(|i| i.trim() == format!("!{src}") || i.trim() == format!("!{src}/")),
                ".dockerignore must let {src} in"
            );
        }
    }
}

#[test]
fn notes_tell_senders_where_to_go() {
    // NOTES.txt: every route's URL, the Secret key each reads, and the sign command.
    if !have_tools("notes_tell_senders_where_to_go", &["helm"]) {
        return;
    }
    let chart = chart_dir();
    for (label, host) in [
        ("standalone-full", "https://hooks.example.com"),
        ("sidecar", "https://<your public host>"),
    ] {
        let values = chart.join(format!("ci/{label}-values.yaml"));
        let out = run(helm(&[
            "install",
            RELEASE,
            chart.to_str().unwrap(),
            "-n",
            NAMESPACE,
            "--dry-run=client",
            "-f",
        ])
        .arg(&values));
        let notes = &out[out.find("NOTES:").expect("NOTES printed")..];
        let v: Value = serde_yaml::from_str(&std::fs::read_to_string(&values).unwrap()).unwrap();
        let secret = s(&v["secrets"]["existingSecret"]);
        for r in seq(&v["config"]["routes"]) {
            let (route, path) = (s(&r["name"]), s(&r["path"]));
            assert!(
                notes.contains(&format!("{host}{path}")),
                "{label}: {route}:\n{notes}"
            );
            for sec in seq(&r["secrets"]) {
                let key = s(&sec["file"]).trim_start_matches("/var/run/secrets/hookgate/");
                assert!(
                    notes.contains(&format!("key \"{key}\" of Secret \"{secret}\"")),
                    "{label}: {key}:\n{notes}"
                );
            }
        }
        assert!(notes.contains("hookgate --config /etc/hookgate/config.yaml sign --route "));
    }
}

#[test]
fn chart_readme_documents_every_value() {
    let readme = std::fs::read_to_string(chart_dir().join("README.md")).unwrap();
    let values: Value =
        serde_yaml::from_str(&std::fs::read_to_string(chart_dir().join("values.yaml")).unwrap())
            .unwrap();
    // Every leaf has a row; so does every free-form Kubernetes object, label or annotation map,
    // and each probe and alert threshold group.
    fn walk(prefix: &str, v: &Value, out: &mut Vec<String>) {
        let leaf = prefix == "config"
            || ["resources", "ecurityContext", "abels", "nnotations"]
                .iter()
                .any(|e| prefix.ends_with(e))
            || prefix.starts_with("probes.")
            || prefix.starts_with("metrics.prometheusRule.");
        match v.as_mapping() {
            Some(m) if !m.is_empty() && !leaf => {
                for (k, v) in m {
                    let key = if prefix.is_empty() {
                        s(k).to_owned()
                    } else {
                        format!("{prefix}.{}", s(k))
                    };
                    walk(&key, v, out);
                }
            }
            _ => out.push(prefix.to_owned()),
        }
    }
    let mut keys = Vec::new();
    walk("", &values, &mut keys);
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !readme.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "charts/hookgate/README.md lacks rows for {missing:?}"
    );
    for t in [
        "hookgate.sidecar.containers",
        "hookgate.sidecar.initContainers",
        "hookgate.sidecar.volumes",
        "hookgate.sidecar.podAnnotations",
        "hookgate.sidecar.podLabels",
    ] {
        assert!(readme.contains(t), "README explains {t}");
        let tpl = std::fs::read_to_string(chart_dir().join("templates/_sidecar.tpl")).unwrap();
        assert!(tpl.contains(&format!("define \"{t}\"")), "{t} is defined");
    }
}

// ---------------------------------------------------------------------------------------------
// The dashboard and alert expressions, run by a real Prometheus against a real hookgate.

/// Every PromQL expression of the dashboard's panels (rows included).
fn dashboard_exprs(dash: &serde_json::Value) -> Vec<(String, String)> {
    fn panels(list: &serde_json::Value, out: &mut Vec<(String, String)>) {
        for p in list.as_array().into_iter().flatten() {
            for t in p["targets"].as_array().into_iter().flatten() {
                let title = p["title"].as_str().unwrap_or_default();
                out.push((
                    format!("{title} [{}]", t["refId"]),
                    t["expr"].as_str().unwrap().to_owned(),
                ));
            }
            panels(&p["panels"], out);
        }
    }
    let mut out = Vec::new();
    panels(&dash["panels"], &mut out);
    out
}

/// Grafana's variables, as Prometheus sees them in an "All" selection.
fn substitute(expr: &str) -> String {
    expr.replace("$__rate_interval", "1m")
        .replace("${datasource}", "")
        .replace("$namespace", ".*")
        .replace("$route", ".*")
}

/// Whether an expression reads the delivery queue's series (`hookgate_queue_*`, and the
/// `queue_*` outcomes of `hookgate_requests_total`): counts the queue's panels and alerts,
/// which must return data like the rest.
fn reads_queue(expr: &str) -> bool {
    expr.contains("hookgate_queue_") || expr.contains("queue_full")
}

/// The series selectors (`hookgate_x{...}`) of an expression.
fn selectors(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find("hookgate_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let mut sel = tail[..end].to_owned();
        let mut next = end;
        if tail[end..].starts_with('{') {
            let close = tail[end..].find('}').unwrap() + end;
            sel.push_str(&tail[end..=close]);
            next = close + 1;
        }
        out.push(sel);
        rest = &tail[next..];
    }
    out
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A bounded plain GET on 127.0.0.1: (status, body), or None when nothing answers.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.get(9..12)?.parse().ok()?;
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// Polls `ok` until it holds; on time-out panics with `what` and the log file's content.
async fn wait_until(what: &str, log: &Path, deadline: Duration, mut ok: impl FnMut() -> bool) {
    let end = Instant::now() + deadline;
    while !ok() {
        assert!(
            Instant::now() < end,
            "timed out waiting for {what}; {}:\n{}",
            log.display(),
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `/api/v1/query`: Ok(the result vector) or Err(Prometheus' error).
async fn query(prom: u16, expr: &str) -> Result<Vec<serde_json::Value>, String> {
    let a = post_exact(
        &format!("http://127.0.0.1:{prom}/api/v1/query"),
        &[("content-type", "application/x-www-form-urlencoded")],
        format!("query={}", urlencode(expr)),
    )
    .await;
    let j = a.json();
    if j["status"] != "success" {
        return Err(format!("{}: {}", j["errorType"], j["error"]));
    }
    Ok(j["data"]["result"].as_array().cloned().unwrap_or_default())
}

fn finite(samples: &[serde_json::Value]) -> bool {
    samples.iter().any(|s| {
        s["value"][1]
            .as_str()
            .and_then(|v| v.parse::<f64>().ok())
            .is_some_and(f64::is_finite)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_and_alert_queries_run_on_real_prometheus() {
    if !have_tools(
        "dashboard_and_alert_queries_run_on_real_prometheus",
        &["helm", "prometheus", "promtool"],
    ) {
        return;
    }
    const SECRET: &str = "chart-test-secret-7c1d";
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // Every 4th delivery gets a 500 from the app (upstream errors have data too), until the
    // test sets `app_status` to answer everything with one status (the queued routes' phases).
    let app_status = Arc::new(AtomicU16::new(0));
    let status = app_status.clone();
    let up = Upstream::start(move |n| {
        Reply::status(match status.load(Ordering::SeqCst) {
            0 if n % 4 == 3 => 500,
            0 => 200,
            forced => forced,
        })
    })
    .await;
    let (port, admin, prom) = (free_port(), free_port(), free_port());

    // hookgate runs with the config the chart renders (ports, upstream, secret and queue paths
    // set for this machine); the same render gives the rules and the dashboard. Besides the sync
    // route `custom`, two queued routes with the same scheme: `queued` (one attempt per 1000 s:
    // the first delivery goes at once, the next waits, so depth and oldest age are not 0) and
    // `dead-letter` (two attempts, then a dead letter). The queue alerts' thresholds are
    // lowered so that this traffic trips them.
    std::fs::create_dir_all(dir.join("secrets")).unwrap();
    let secret_file = dir.join("secrets/custom");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let route = |name: &str, path: &str, delivery: &str| {
        format!(
            r#"
    - name: {name}
      path: {path}
      verify:
        header: X-Signature
        prefix: "sha256="
        signed_payload: "{{timestamp}}.{{body}}"
        timestamp: {{ header: X-Timestamp, format: unix }}
      dedup_key: {{ json: /id }}
      secrets:
        - {{ id: current, file: "{secret}" }}
        - {{ id: dated, file: "{secret}", not_after: "2099-01-01T00:00:00Z" }}
      delivery: {delivery}"#,
            secret = secret_file.display(),
        )
    };
    // And a route whose keys are a JWK Set, served by a local HTTPS key host (the fetch panel).
    let key_host = "keys.chart.test";
    let keys = crate::keyserver::KeyServer::start(&[key_host]).await;
    let pubsub: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("tests/fixtures/pubsub/pubsub.json"))
            .unwrap(),
    )
    .unwrap();
    keys.serve("/jwks.json", serde_json::to_vec(&pubsub["jwks"]).unwrap());
    let values = format!(
        r#"
listenAddress: 127.0.0.1
containerPorts: {{ http: {port}, admin: {admin} }}
queue:
  enabled: true
  path: "{queue}"
  maxBytes: 16MiB
config:
  upstream: {{ url: "{upstream}", timeout: 2s }}
  log: {{ format: json, level: error }}
  fetch:
    ca_file: "{ca_file}"
    resolve: {{ "{key_host}": "{key_addr}" }}
  routes:{custom}{queued}{dead_letter}{trusted}{walled}
    - name: keys
      path: /keys
      verify:
        algorithm: jwt-rs256
        header: X-Token
        jwt: {{ jwks_url: "https://{key_host}/jwks.json", audience: "https://hooks.example.com/keys" }}
metrics:
  prometheusRule:
    enabled: true
    queueOldestAge: {{ thresholdSeconds: 2 }}
    queueNearlyFull: {{ threshold: 0 }}
  dashboard: {{ enabled: true }}
"#,
        queue = dir.join("queue/queue.redb").display(),
        upstream = up.url(),
        ca_file = keys.ca_file.display(),
        key_addr = keys.addr,
        custom = route("custom", "/hook", "sync"),
        queued = route("queued", "/queued", "{ mode: queued, rate: 0.001 }"),
        dead_letter = route(
            "dead-letter",
            "/dead-letter",
            "{ mode: queued, max_attempts: 2, initial_backoff: 10ms, max_backoff: 10ms }",
        ),
        // The trust and filter panels: `trusted` keeps only `kind: keep` (a body without
        // `kind` is a filter error) and takes 4 requests per source before 429; `walled`
        // admits only a network no test client is in.
        trusted = route("trusted", "/trusted", "sync")
            + "\n      filter: \"body.kind == 'keep'\""
            + "\n      rate_limit: { rate: 0.001, burst: 4 }",
        walled = route("walled", "/walled", "sync") + "\n      allow_ips: [192.0.2.0/24]",
    );
    let values_file = dir.join("values.yaml");
    std::fs::write(&values_file, values).unwrap();
    lint(&chart_dir(), &[&values_file]);
    let objects = template(&chart_dir(), &[&values_file], &[]);
    let cm = named(&objects, "ConfigMap", "hg-hookgate");
    let cfg = check_rendered_config(dir, "live", cm);
    assert_eq!(
        s(&cfg["queue"]["path"]),
        dir.join("queue/queue.redb").to_str().unwrap()
    );
    let config = dir.join("live.config.yaml");
    let rule = one(&objects, "PrometheusRule");
    let rules_file = promtool_check_rules(dir, "live", rule);
    let dash: serde_json::Value =
        serde_json::from_str(s(
            &named(&objects, "ConfigMap", "hg-hookgate-dashboard")["data"]["hookgate.json"]
        ))
        .unwrap();

    let hookgate_log = dir.join("hookgate.log");
    let _hookgate = Killed(
        Command::new(BIN)
            .args(["--config", config.to_str().unwrap()])
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&hookgate_log).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_until("hookgate /readyz", &hookgate_log, WAIT, || {
        http_get(admin, "/readyz").is_some_and(|(st, _)| st == 200)
    })
    .await;

    // Prometheus scrapes it every second, as the operator would label it (namespace, pod).
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            r#"
global: {{ scrape_interval: 1s, evaluation_interval: 1s }}
rule_files: ["{rules}"]
scrape_configs:
  - job_name: hookgate
    static_configs:
      - targets: ["127.0.0.1:{admin}"]
        labels: {{ namespace: {NAMESPACE}, pod: hg-hookgate-0 }}
"#,
            rules = rules_file.display()
        ),
    )
    .unwrap();
    let prometheus_log = dir.join("prometheus.log");
    let log = std::fs::File::create(&prometheus_log).unwrap();
    let _prometheus = Killed(
        Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prom}"))
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let prom_log = || std::fs::read_to_string(&prometheus_log).unwrap_or_default();
    // Raw probes first: the query helper expects a server that answers.
    wait_until(
        "Prometheus /-/ready",
        &prometheus_log,
        Duration::from_secs(30),
        || http_get(prom, "/-/ready").is_some_and(|(st, _)| st == 200),
    )
    .await;
    let end = Instant::now() + Duration::from_secs(30);
    while query(prom, "up{job=\"hookgate\"} == 1")
        .await
        .map_or(true, |r| r.is_empty())
    {
        assert!(
            Instant::now() < end,
            "Prometheus never scraped hookgate:\n{}",
            prom_log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Traffic: accepted deliveries signed 20 s ago (skew data), duplicates, forgeries,
    // unsigned and stale ones, an unknown path; every 4th accepted one gets a 500 upstream.
    let url = format!("http://127.0.0.1:{port}/hook");
    let now = now_unix();
    let mut statuses = BTreeMap::<u16, usize>::new();
    for i in 0..16 {
        let body = format!(r#"{{"id":"evt_chart_{i}"}}"#);
        let h = signed(SECRET, now - 20, &body);
        let h = refs(&h);
        *statuses
            .entry(post(&url, &h, body.clone()).await.status.as_u16())
            .or_default() += 1;
        if i % 4 == 0 {
            *statuses
                .entry(post(&url, &h, body).await.status.as_u16())
                .or_default() += 1;
        }
    }
    for i in 0..4 {
        let body = format!(r#"{{"id":"evt_bad_{i}"}}"#);
        let forged = signed("not-the-secret", now, &body);
        assert_eq!(post(&url, &refs(&forged), body.clone()).await.status, 401);
        let stale = signed(SECRET, now - 3600, &body);
        assert_eq!(post(&url, &refs(&stale), body.clone()).await.status, 401);
    }
    assert_eq!(post(&url, &[], "{}").await.status, 401);
    // A token no key of the set signed: the set is fetched (the fetch gauges), the token refused.
    let keys_url = format!("http://127.0.0.1:{port}/keys");
    assert_eq!(
        post(
            &keys_url,
            &[("x-token", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")],
            "{}"
        )
        .await
        .status,
        401
    );
    assert_eq!(keys.seen(), vec!["/jwks.json".to_owned()]);
    assert_eq!(
        post(&format!("http://127.0.0.1:{port}/nope"), &[], "{}")
            .await
            .status,
        404
    );
    assert!(statuses[&200] >= 12 && statuses[&500] >= 1, "{statuses:?}");

    // Trust and filters: on `trusted`, a kept delivery (forwarded: the app answers 200 or
    // 500), a dropped one and one the filter cannot evaluate (both answered 200, filtered), a
    // fourth within the burst, then 429; on `walled`, 403 before any signature is looked at.
    let trusted = format!("http://127.0.0.1:{port}/trusted");
    let mut answers = Vec::new();
    for body in [
        r#"{"id":"evt_t0","kind":"keep"}"#,
        r#"{"id":"evt_t1","kind":"drop"}"#,
        r#"{"id":"evt_t2"}"#,
        r#"{"id":"evt_t3","kind":"drop"}"#,
        r#"{"id":"evt_t4","kind":"keep"}"#,
    ] {
        let a = post(&trusted, &refs(&signed(SECRET, now, body)), body).await;
        let filtered = a.headers.get("hookgate-filtered").is_some();
        answers.push((a.status.as_u16(), filtered));
    }
    assert!(matches!(answers[0], (200 | 500, false)), "{answers:?}");
    assert_eq!(
        answers[1..],
        [(200, true), (200, true), (200, true), (429, false)],
        "{answers:?}"
    );
    let walled = format!("http://127.0.0.1:{port}/walled");
    assert_eq!(post(&walled, &[], "{}").await.status, 403);

    // NOTES.txt's recipe: `hookgate --config FILE sign --route R --body -` prints the headers,
    // and the same bytes with them are accepted.
    let body = "{\"id\":\"evt_test_1\",\"type\":\"test\"}\n";
    let mut sign = Command::new(BIN)
        .args([
            "--config",
            config.to_str().unwrap(),
            "sign",
            "--route",
            "custom",
            "--body",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    sign.stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = sign.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let headers: Vec<(String, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let h = l
                .strip_prefix("-H '")
                .and_then(|h| h.strip_suffix('\''))
                .unwrap();
            let (n, v) = h.split_once(": ").unwrap();
            (n.to_owned(), v.to_owned())
        })
        .collect();
    let h = refs(&headers);
    // Forwarded (the app answers 200 or, every 4th time, 500), not refused by hookgate.
    let a = post_exact(&url, &h, body).await;
    assert!(
        a.headers.contains_key("x-upstream"),
        "{} {:?}",
        a.status,
        a.body
    );

    // The queued routes. The app answers 500: each delivery to `dead-letter` is answered 202,
    // attempted twice (one retry) and becomes a dead letter.
    let queued_post = async |path: &str, id: &str| {
        let body = format!(r#"{{"id":"{id}"}}"#);
        let h = signed(SECRET, now_unix(), &body);
        let a = post_exact(&format!("http://127.0.0.1:{port}{path}"), &refs(&h), body).await;
        assert_eq!(a.status, 202, "{path} {id}: {:?}", a.body);
        let queued = a
            .headers
            .get("hookgate-queued")
            .and_then(|v| v.to_str().ok());
        assert_eq!(queued, Some("true"), "{path} {id}");
    };
    let scraped = |series: &str| -> Option<f64> {
        http_get(admin, "/metrics").and_then(|(_, text)| sample(&text, series))
    };
    app_status.store(500, Ordering::SeqCst);
    for i in 0..2 {
        queued_post("/dead-letter", &format!("evt_dead_{i}")).await;
    }
    wait_until("2 dead letters", &hookgate_log, WAIT, || {
        scraped("hookgate_queue_dead_letters{route=\"dead-letter\"}") == Some(2.0)
    })
    .await;
    // At least: an attempt reads the delivery's attempt count back from the store, and a retry
    // due (10ms) before the previous attempt's count is committed repeats attempt 1, so a
    // delivery may get one attempt more than max_attempts. The counts are the queue tests'
    // business; here each series needs data.
    let at_least = |series: &str, n: f64| {
        let got = scraped(series);
        assert!(
            got.is_some_and(|v| v >= n),
            "{series}: {got:?}, want >= {n}"
        );
    };
    at_least(
        "hookgate_queue_attempts_total{outcome=\"rejected\",route=\"dead-letter\"}",
        4.0,
    );
    at_least("hookgate_queue_retries_total{route=\"dead-letter\"}", 2.0);
    // Then 200: the first delivery to `queued` is delivered, the second waits for its turn.
    app_status.store(200, Ordering::SeqCst);
    for i in 0..2 {
        queued_post("/queued", &format!("evt_queued_{i}")).await;
    }
    wait_until("1 delivered, 1 waiting", &hookgate_log, WAIT, || {
        scraped("hookgate_queue_attempts_total{outcome=\"delivered\",route=\"queued\"}")
            == Some(1.0)
            && scraped("hookgate_queue_depth{route=\"queued\"}") == Some(1.0)
    })
    .await;

    // Every dashboard expression returns data with at least one defined value; every alert
    // expression evaluates, and each series it reads exists.
    let dashboard: Vec<(String, String)> = dashboard_exprs(&dash)
        .into_iter()
        .map(|(n, e)| (n, substitute(&e)))
        .collect();
    let variables: Vec<(String, String)> = dash["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["type"] == "query")
        .map(|v| {
            // label_values(<selector>, <label>) -> count by (<label>) (<selector>)
            let q = v["query"]["query"].as_str().unwrap();
            let inner = q
                .strip_prefix("label_values(")
                .unwrap()
                .strip_suffix(')')
                .unwrap();
            let (sel, label) = inner.rsplit_once(',').unwrap();
            (
                format!("variable {}", v["name"]),
                substitute(&format!("count by ({}) ({sel})", label.trim())),
            )
        })
        .collect();
    let alerts: Vec<(String, String)> = seq(&rule["spec"]["groups"])
        .iter()
        .flat_map(|g| seq(&g["rules"]))
        .map(|r| (s(&r["alert"]).to_owned(), s(&r["expr"]).to_owned()))
        .collect();
    assert!(dashboard.len() >= 15, "{dashboard:?}");
    assert_eq!(alerts.len(), 17, "{alerts:?}");
    assert!(
        dashboard.iter().filter(|(_, e)| reads_queue(e)).count() >= 12,
        "{dashboard:?}"
    );
    assert_eq!(
        alerts.iter().filter(|(_, e)| reads_queue(e)).count(),
        3,
        "{alerts:?}"
    );

    let end = Instant::now() + Duration::from_secs(40);
    loop {
        let mut problems = Vec::new();
        for (n, e) in dashboard.iter().chain(&variables) {
            match query(prom, e).await {
                Ok(r) if r.is_empty() => problems.push(format!("{n}: no data: {e}")),
                Ok(r) if !finite(&r) => problems.push(format!("{n}: only NaN: {e}")),
                Ok(_) => {}
                Err(err) => problems.push(format!("{n}: {err}: {e}")),
            }
        }
        for (n, e) in &alerts {
            if let Err(err) = query(prom, e).await {
                problems.push(format!("{n}: {err}: {e}"));
            }
            for sel in selectors(e) {
                match query(prom, &sel).await {
                    Ok(r) if !r.is_empty() => {}
                    other => problems.push(format!("{n}: series {sel}: {other:?}")),
                }
            }
        }
        // The rules as Prometheus evaluates them: all healthy, and those that this traffic
        // trips are pending or firing: on `custom`, 11 of 37 requests rejected and 1 in 4
        // forwards failing; on the queued routes, dead letters, a delivery waiting over 2 s and
        // the queue holding more than 0 bytes.
        let rules = query_json(prom, "/api/v1/rules").await;
        let mut evaluated = 0;
        for r in rules["data"]["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["rules"].as_array().unwrap())
        {
            if r["health"] == "ok" {
                evaluated += 1;
            } else {
                problems.push(format!(
                    "rule {}: health {} {}",
                    r["name"], r["health"], r["lastError"]
                ));
            }
        }
        if evaluated != alerts.len() {
            problems.push(format!("{evaluated} of {} rules evaluated", alerts.len()));
        }
        let active = query_json(prom, "/api/v1/alerts").await;
        let active: BTreeSet<String> = active["data"]["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                format!(
                    "{} {}",
                    a["labels"]["alertname"].as_str().unwrap(),
                    a["labels"]["outcome"].as_str().unwrap_or("")
                )
            })
            .collect();
        for want in [
            "HookgateRejectionRatioHigh invalid_signature",
            "HookgateRejectionRatioHigh stale_timestamp",
            "HookgateUpstreamErrors ",
            "HookgateDeadLettersGrowing ",
            "HookgateQueueOldestAge ",
            "HookgateQueueNearlyFull ",
        ] {
            if !active.contains(want) {
                problems.push(format!("alert {want:?} not pending: {active:?}"));
            }
        }
        if problems.is_empty() {
            break;
        }
        assert!(
            Instant::now() < end,
            "dashboard/alert queries still failing:\n{}\nprometheus log:\n{}",
            problems.join("\n"),
            prom_log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn query_json(prom: u16, path: &str) -> serde_json::Value {
    send(
        http::Request::get(format!("http://127.0.0.1:{prom}{path}"))
            .body(http_body_util::Full::default())
            .unwrap(),
    )
    .await
    .json()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            // A charts/ left by a local `helm dependency build` is rebuilt in the copy.
            if e.file_name() != "charts" {
                copy_dir(&e.path(), &target);
            }
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}
