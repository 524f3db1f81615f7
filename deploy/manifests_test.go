// Package deploy_test checks the structure of the Kubernetes manifests in
// deploy/: no cluster is needed.
package deploy_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"parley/internal/cli"
	"parley/tournament"
)

// object is the part of a Kubernetes object the checks read.
type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec struct {
		// Job
		CompletionMode string       `yaml:"completionMode"`
		Completions    *int         `yaml:"completions"`
		Parallelism    *int         `yaml:"parallelism"`
		Template       *podTemplate `yaml:"template"`
		// Deployment, StatefulSet (a Service's selector has another shape:
		// see reparse)
		Replicas *int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		// Service
		Ports []struct {
			Port int `yaml:"port"`
		} `yaml:"ports"`
		// PersistentVolumeClaim
		AccessModes []string `yaml:"accessModes"`
	} `yaml:"spec"`
	file string
}

type podTemplate struct {
	Metadata struct {
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		RestartPolicy string      `yaml:"restartPolicy"`
		Containers    []container `yaml:"containers"`
		Volumes       []struct {
			Name      string `yaml:"name"`
			ConfigMap *struct {
				Name string `yaml:"name"`
			} `yaml:"configMap"`
			PersistentVolumeClaim *struct {
				ClaimName string `yaml:"claimName"`
			} `yaml:"persistentVolumeClaim"`
		} `yaml:"volumes"`
	} `yaml:"spec"`
}

type container struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			FieldRef *struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

func (c *container) env(name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

// readAll parses every YAML document of every manifest in the folder.
func readAll(t *testing.T) []*object {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	var objs []*object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var o object
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Errorf("%s: a document without apiVersion, kind or metadata.name", f)
			}
			o.file = f
			objs = append(objs, &o)
		}
	}
	return objs
}

func find(t *testing.T, objs []*object, kind, name string) *object {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind && o.Metadata.Name == name {
			return o
		}
	}
	t.Fatalf("no %s %q in deploy/", kind, name)
	return nil
}

func onlyContainer(t *testing.T, o *object) *container {
	t.Helper()
	if o.Spec.Template == nil || len(o.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%s %s: want a pod template with one container", o.Kind, o.Metadata.Name)
	}
	return &o.Spec.Template.Spec.Containers[0]
}

// fakeParley puts a `parley` on PATH that prints its arguments, one a line.
func fakeParley(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n"
	if err := os.WriteFile(filepath.Join(dir, "parley"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkCLI checks that the real parley command line accepts args (flags
// and subcommands exist), without running it.
func checkCLI(t *testing.T, what string, args []string) {
	t.Helper()
	if len(args) == 0 || args[0] != "parley" {
		t.Fatalf("%s: command %q does not run parley", what, args)
	}
	root := cli.NewRoot()
	cmd, rest, err := root.Find(args[1:])
	if err != nil {
		t.Fatalf("%s: %q: %v", what, args, err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Errorf("%s: parley %s does not accept %q: %v", what, cmd.Name(), rest, err)
	}
}

// TestIndexedJob: the sharded tournament is an Indexed Job of n
// completions whose pod k runs shard k+1/n into its own folder, computed
// from JOB_COMPLETION_INDEX, and the merge step joins exactly those n
// folders from the same volume.
func TestIndexedJob(t *testing.T) {
	objs := readAll(t)
	job := find(t, objs, "Job", "parley-tournament-shards")
	if job.Spec.CompletionMode != "Indexed" {
		t.Errorf("shards Job: completionMode %q, want Indexed", job.Spec.CompletionMode)
	}
	if job.Spec.Completions == nil || job.Spec.Parallelism == nil {
		t.Fatal("shards Job: completions and parallelism must be set")
	}
	n := *job.Spec.Completions
	c := onlyContainer(t, job)
	shards, ok := c.env("SHARDS")
	if !ok || shards != fmt.Sprint(n) {
		t.Errorf("shards Job: SHARDS=%q, want the number of completions %d", shards, n)
	}
	wired := false
	for _, e := range c.Env {
		if e.Name == "JOB_COMPLETION_INDEX" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil &&
			e.ValueFrom.FieldRef.FieldPath == "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
			wired = true
		}
	}
	if !wired {
		t.Error("shards Job: JOB_COMPLETION_INDEX is not taken from the job-completion-index annotation")
	}
	if rp := job.Spec.Template.Spec.RestartPolicy; rp != "Never" && rp != "OnFailure" {
		t.Errorf("shards Job: restartPolicy %q", rp)
	}

	// Run the pod's command for every index with a fake parley that prints
	// its arguments.
	path := fakeParley(t)
	var outs []string
	for k := 0; k < n; k++ {
		cmdline := append(slices.Clone(c.Command), c.Args...)
		cmd := exec.Command(cmdline[0], cmdline[1:]...)
		cmd.Env = []string{"PATH=" + path + ":/usr/bin:/bin", "JOB_COMPLETION_INDEX=" + fmt.Sprint(k)}
		for _, e := range c.Env {
			if e.Value != "" {
				cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
			}
		}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("index %d: %v", k, err)
		}
		args := append([]string{"parley"}, strings.Split(strings.TrimSpace(string(out)), "\n")...)
		checkCLI(t, fmt.Sprintf("shard pod %d", k), args)
		shard := flagValue(args, "--shard")
		if want := fmt.Sprintf("%d/%d", k+1, n); shard != want {
			t.Errorf("index %d runs --shard %q, want %q", k, shard, want)
		}
		outs = append(outs, flagValue(args, "--out"))
	}
	if slices.Contains(outs, "") || len(slices.Compact(slices.Sorted(slices.Values(outs)))) != n {
		t.Errorf("shard folders %q: want %d distinct folders", outs, n)
	}

	merge := find(t, objs, "Job", "parley-tournament-merge")
	mc := onlyContainer(t, merge)
	margs := append(slices.Clone(mc.Command), mc.Args...)
	checkCLI(t, "merge Job", margs)
	if len(margs) < 3 || margs[1] != "tournament" || margs[2] != "merge" {
		t.Fatalf("merge Job runs %q, want parley tournament merge", margs)
	}
	var folders []string
	for i := 3; i < len(margs); i++ {
		if strings.HasPrefix(margs[i], "-") {
			i++ // a flag's value
			continue
		}
		folders = append(folders, margs[i])
	}
	if !slices.Equal(slices.Sorted(slices.Values(folders)), slices.Sorted(slices.Values(outs))) {
		t.Errorf("merge joins %q; the shards write %q", folders, outs)
	}
	// Both mount one ReadWriteMany claim at the same place.
	claim := func(o *object, c *container) string {
		for _, v := range o.Spec.Template.Spec.Volumes {
			if v.PersistentVolumeClaim == nil {
				continue
			}
			for _, m := range c.VolumeMounts {
				if m.Name == v.Name {
					return v.PersistentVolumeClaim.ClaimName + "@" + m.MountPath
				}
			}
		}
		return ""
	}
	a, b := claim(job, c), claim(merge, mc)
	if a == "" || a != b {
		t.Errorf("shards write to %q, merge reads %q: want one shared volume", a, b)
	}
	pvc := find(t, objs, "PersistentVolumeClaim", strings.Split(a, "@")[0])
	if !slices.Contains(pvc.Spec.AccessModes, "ReadWriteMany") {
		t.Errorf("claim %s: access modes %q; every shard pod mounts it, want ReadWriteMany", pvc.Metadata.Name, pvc.Spec.AccessModes)
	}
	checkConfig(t, objs, job, c)
}

func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

// checkConfig checks that the pod mounts the tournament ConfigMap where its
// command reads it, and that the tournament in it makes a plan.
func checkConfig(t *testing.T, objs []*object, o *object, c *container) {
	t.Helper()
	var cm, mount string
	for _, v := range o.Spec.Template.Spec.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		for _, m := range c.VolumeMounts {
			if m.Name == v.Name {
				cm, mount = v.ConfigMap.Name, m.MountPath
			}
		}
	}
	if cm == "" {
		t.Fatalf("%s: mounts no ConfigMap", o.Metadata.Name)
	}
	line := strings.Join(append(slices.Clone(c.Command), c.Args...), " ")
	if !strings.Contains(line, mount+"/tournament.yaml") {
		t.Errorf("%s: command %q does not read %s/tournament.yaml", o.Metadata.Name, line, mount)
	}
	dir := t.TempDir()
	for k, v := range find(t, objs, "ConfigMap", cm).Data {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := tournament.LoadConfig(filepath.Join(dir, "tournament.yaml"))
	if err != nil {
		t.Fatalf("ConfigMap %s: %v", cm, err)
	}
	if _, err := tournament.NewPlan(cfg, nil); err != nil {
		t.Fatalf("ConfigMap %s: %v", cm, err)
	}
}

// TestNATSWorkers: the worker Deployment and the submitting Job point at
// the NATS Service, which selects a NATS server with JetStream on.
func TestNATSWorkers(t *testing.T) {
	objs := readAll(t)
	dep := find(t, objs, "Deployment", "parley-worker")
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas < 2 {
		t.Errorf("worker Deployment: replicas %v, want at least 2", dep.Spec.Replicas)
	}
	for k, v := range dep.Spec.Selector.MatchLabels {
		if dep.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("worker Deployment: selector %s=%s does not match its pods", k, v)
		}
	}
	wc := onlyContainer(t, dep)
	submit := find(t, objs, "Job", "parley-tournament-submit")
	sc := onlyContainer(t, submit)
	for _, x := range []struct {
		what string
		c    *container
		sub  string
	}{{"worker Deployment", wc, "worker"}, {"submit Job", sc, "tournament"}} {
		url, ok := x.c.env("NATS_URL")
		if !ok {
			t.Fatalf("%s: no NATS_URL", x.what)
		}
		args := append(slices.Clone(x.c.Command), x.c.Args...)
		for i, a := range args {
			args[i] = strings.ReplaceAll(a, "$(NATS_URL)", url) // Kubernetes' expansion
		}
		checkCLI(t, x.what, args)
		if len(args) < 2 || args[1] != x.sub || flagValue(args, "--nats") != url {
			t.Errorf("%s runs %q, want parley %s --nats %s", x.what, args, x.sub, url)
		}
		host, port, ok := strings.Cut(strings.TrimPrefix(url, "nats://"), ":")
		if !ok || !strings.HasPrefix(url, "nats://") {
			t.Fatalf("%s: NATS_URL %q, want nats://SERVICE:PORT", x.what, url)
		}
		svc := find(t, objs, "Service", host)
		if len(svc.Spec.Ports) == 0 || fmt.Sprint(svc.Spec.Ports[0].Port) != port {
			t.Errorf("Service %s does not listen on port %s", host, port)
		}
		var selector struct {
			Spec struct {
				Selector map[string]string `yaml:"selector"`
			} `yaml:"spec"`
		}
		if err := reparse(svc, &selector); err != nil {
			t.Fatal(err)
		}
		var server *object
		for _, o := range objs {
			if (o.Kind == "StatefulSet" || o.Kind == "Deployment") && o.Spec.Template != nil && len(selector.Spec.Selector) > 0 {
				match := true
				for k, v := range selector.Spec.Selector {
					if o.Spec.Template.Metadata.Labels[k] != v {
						match = false
					}
				}
				if match {
					server = o
				}
			}
		}
		if server == nil {
			t.Fatalf("Service %s selects no workload", host)
		}
		nc := onlyContainer(t, server)
		if !slices.Contains(append(slices.Clone(nc.Command), nc.Args...), "--jetstream") {
			t.Errorf("%s %s: NATS runs without --jetstream", server.Kind, server.Metadata.Name)
		}
	}
	checkConfig(t, objs, submit, sc)
}

// reparse decodes o's document again into v.
func reparse(o *object, v any) error {
	data, err := os.ReadFile(o.file)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var probe struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
		}
		var raw any
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%s: %s %s not found again: %w", o.file, o.Kind, o.Metadata.Name, err)
		}
		b, err := yaml.Marshal(raw)
		if err != nil {
			return err
		}
		if err := yaml.Unmarshal(b, &probe); err != nil {
			return err
		}
		if probe.Kind == o.Kind && probe.Metadata.Name == o.Metadata.Name {
			return yaml.Unmarshal(b, v)
		}
	}
}
