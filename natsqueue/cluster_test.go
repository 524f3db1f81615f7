package natsqueue

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// natsNode is one nats-server process of a test cluster.
type natsNode struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

// startCluster builds nats-server from the module (the version in go.mod,
// fetched through the module proxy) and starts a 3-node JetStream cluster on
// loopback.
func startCluster(t *testing.T) []*natsNode {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nats-server")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/nats-io/nats-server/v2").CombinedOutput()
	if err != nil {
		t.Fatalf("go build nats-server: %v\n%s", err, out)
	}
	const n = 3
	client := make([]int, n)
	route := make([]int, n)
	for i := range n {
		client[i], route[i] = freePort(t), freePort(t)
	}
	var routes []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", route[i]))
	}
	var nodes []*natsNode
	for i := range n {
		dir := t.TempDir()
		conf := fmt.Sprintf(`server_name: n%d
listen: 127.0.0.1:%d
jetstream { store_dir: %q }
cluster {
  name: parley-test
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, i+1, client[i], filepath.Join(dir, "js"), route[i], strings.Join(routes, ", "))
		path := filepath.Join(dir, "nats.conf")
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-c", path)
		if logf, err := os.Create(filepath.Join(os.TempDir(), fmt.Sprintf("parley-nats-n%d.log", i+1))); err == nil {
			cmd.Stderr = logf
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		node := &natsNode{cmd: cmd, url: fmt.Sprintf("nats://127.0.0.1:%d", client[i]), done: make(chan struct{})}
		go func() { _ = cmd.Wait(); close(node.done) }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-node.done
		})
		nodes = append(nodes, node)
	}
	// Wait until JetStream answers with a quorum: a replicated stream can
	// be created.
	var nc *nats.Conn
	deadline := time.Now().Add(30 * time.Second)
	for {
		var err error
		if nc, err = nats.Connect(clusterURL(nodes)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the NATS cluster accepts no connection after 30s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "PROBE", Subjects: []string{"probe"}, Replicas: 3})
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the NATS cluster is not ready after 30s: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nodes
}

func clusterURL(nodes []*natsNode) string {
	var urls []string
	for _, n := range nodes {
		urls = append(urls, n.url)
	}
	return strings.Join(urls, ",")
}

// TestClusterSurvivesKills: on a 3-node NATS cluster with streams of 3
// replicas, a `parley worker` process and the NATS node it is connected to
// are SIGKILLed mid-run while the worker holds jobs; another worker process
// and a worker in this process, on the other nodes, finish; the tournament
// completes with every negotiation exactly once, equal to the local run
// byte for byte.
func TestClusterSurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nats-server and parley, starts a 3-node cluster")
	}
	bin := buildParley(t)
	want := localRunOf(t, planOf(t, slowConfig(), slowJobs))
	nodes := startCluster(t)
	url := clusterURL(nodes)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const ackWait = 3 * time.Second
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	q, err := Open(ctx, nc, Options{AckWait: ackWait, Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	tour := FromPlan(planOf(t, slowConfig(), slowJobs))
	if _, err := q.Submit(ctx, tour, SubmitOptions{Batch: 1}); err != nil {
		t.Fatal(err)
	}

	// workerProc starts a `parley worker` process connected to node i first.
	workerProc := func(i int, name string) *exec.Cmd {
		order := []string{nodes[i].url}
		for _, n := range nodes {
			if n.url != nodes[i].url {
				order = append(order, n.url)
			}
		}
		p := exec.Command(bin, "worker", "--nats", strings.Join(order, ","), "-j", "1", "--name", name, "-q")
		p.Stderr = os.Stderr
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Process.Kill(); _ = p.Wait() })
		return p
	}
	// The first worker alone, on node n1, until it has stored results and
	// holds unacknowledged jobs: then it and n1 are SIGKILLed.
	doomed := workerProc(0, "doomed")
	deadline := time.Now().Add(time.Minute)
	for {
		if time.Now().After(deadline) {
			t.Fatal("no results within a minute")
		}
		info, err := q.results.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, unacked, err := q.Pending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs >= 3 && unacked > 0 {
			if err := doomed.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			if err := nodes[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			t.Logf("killed worker doomed and node n1 after %d results, %d jobs unacknowledged", info.State.Msgs, unacked)
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Another worker process on n2, and one in this process on n3.
	workerProc(1, "survivor")
	wnc, err := nats.Connect(nodes[2].url+","+nodes[1].url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer wnc.Close()
	// The cluster may still be electing leaders: bounded attempts.
	var wq *Queue
	for attempt := 1; ; attempt++ {
		octx, ocancel := context.WithTimeout(ctx, 10*time.Second)
		wq, err = Open(octx, wnc, Options{})
		ocancel()
		if err == nil {
			break
		}
		if attempt == 6 {
			t.Fatalf("open the queue after losing a node: %v", err)
		}
	}
	wctx, stopWorker := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := wq.Work(wctx, WorkOptions{Workers: 1, Name: "local",
			Log: func(m string) { t.Log("worker local:", m) }}); err != nil && wctx.Err() == nil {
			t.Error(err)
		}
	}()

	// Report the queue every 10s while collecting.
	watch, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go func() {
		for {
			select {
			case <-watch.Done():
				return
			case <-time.After(10 * time.Second):
			}
			info, ierr := q.results.Info(watch)
			w, u, perr := q.Pending(watch)
			if ierr == nil && perr == nil {
				t.Logf("results stored %d; jobs waiting %d, unacknowledged %d", info.State.Msgs, w, u)
			} else {
				t.Logf("queue state: %v %v", ierr, perr)
			}
		}
	}()
	got := t.TempDir()
	col, err := q.Collect(ctx, tour, got, CollectOptions{Progress: func(done, _ int64) {
		if done%10 == 0 {
			t.Logf("collected %d", done)
		}
	}})
	stopWatch()
	stopWorker()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if col.Done != slowJobs {
		t.Errorf("collected %d rows, want %d", col.Done, slowJobs)
	}
	// The doomed worker stored results before it died (by construction);
	// which of the others ran the rest depends on timing.
	if col.Workers["doomed"] == 0 || col.Workers["survivor"]+col.Workers["local"] == 0 {
		t.Errorf("rows by worker %v: want some by the killed worker and some by the others", col.Workers)
	}

	t.Logf("rows by worker %v, %d redelivered, %d duplicates dropped", col.Workers, col.Redelivered, col.Duplicates)
	sameFiles(t, want, got)
}
