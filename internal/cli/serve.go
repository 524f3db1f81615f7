package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"parley"
	httpapi "parley/http"
	"parley/memstore"
	"parley/postgres"
	"parley/service"
	"parley/sqlite"
	"parley/store"
	"parley/web"
)

func init() { register(newServeCmd) }

// openStore opens the store named by --db: "memory", a postgres:// URL, or
// a SQLite file path.
func openStore(ctx context.Context, db string) (store.Store, error) {
	return openStoreSync(ctx, db, "full")
}

// openStoreSync is openStore with SQLite's synchronous setting.
func openStoreSync(ctx context.Context, db, sync string) (store.Store, error) {
	switch {
	case db == "memory":
		return memstore.New(), nil
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		return postgres.Open(ctx, db)
	case db == "":
		return nil, parley.Errorf(parley.EINVALID, "--db: empty")
	}
	return sqlite.OpenSync(db, sync)
}

func newServeCmd() *cobra.Command {
	var addr, db, examples, level, sync, debugAddr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the live negotiation server (HTTP JSON API under /v1)",
		Long: `serve runs Parley's server: negotiations created over the HTTP API, with
conveners, participants, mediators and observers acting through secret
invitation tokens, deadlines on the wall clock (kept across restarts), live
events by Server-Sent Events and a hash-chained audit trail.

--db is a SQLite file (default parley.db, created when missing), a
postgres:// URL, or "memory" (nothing kept). Logs are JSON lines on stderr.
docs/server.md describes roles, tokens, confidentiality and the API.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var lv slog.Level
			if err := lv.UnmarshalText([]byte(level)); err != nil {
				return usageError{fmt.Errorf("--log-level: %w", err)}
			}
			log := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: lv}))
			if os.Getenv("GOGC") == "" {
				// The server's live heap is small (the running negotiations'
				// states) while every request allocates: collecting at 5x the
				// live heap instead of 2x costs a few tens of megabytes and
				// saves CPU and tail latency under load.
				debug.SetGCPercent(serveGCPercent)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			st, err := openStoreSync(ctx, db, sync)
			if err != nil {
				return err
			}
			defer st.Close()
			svc, err := service.Open(ctx, st, service.Options{Logger: log})
			if err != nil {
				return err
			}
			defer svc.Close()
			var ex fs.FS
			if examples != "" {
				if fi, err := os.Stat(examples); err == nil && fi.IsDir() {
					ex = os.DirFS(examples)
				}
			}
			api := httpapi.New(svc, httpapi.Options{Logger: log, Examples: ex, UI: web.New(svc)})
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return parley.Errorf(parley.EINVALID, "--addr: %v", err)
			}
			if debugAddr != "" {
				if err := serveDebug(debugAddr, log); err != nil {
					return err
				}
			}
			srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
			log.Info("listening", "addr", ln.Addr().String(), "db", redact(db))
			fmt.Fprintf(cmd.OutOrStdout(), "parley serve: listening on http://%s\n", ln.Addr())
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				if !errors.Is(err, http.ErrServerClosed) {
					return fmt.Errorf("serve: %w", err)
				}
			case <-ctx.Done():
				log.Info("shutting down")
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				svc.Close() // ends event streams so Shutdown need not wait for them
				srv.Shutdown(sctx)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().StringVar(&db, "db", "parley.db", `database: a SQLite file, a postgres:// URL, or "memory"`)
	cmd.Flags().StringVar(&examples, "examples", "examples", "folder of example scenarios offered by name")
	cmd.Flags().StringVar(&level, "log-level", "info", "log level: debug, info, warn or error")
	cmd.Flags().StringVar(&sync, "sqlite-sync", "full", "SQLite durability: full (fsync every commit) or normal (survives a process crash, not a power cut)")
	cmd.Flags().StringVar(&debugAddr, "debug-addr", "", "if set, serve Go's profiler (net/http/pprof) at /debug/pprof/ on this address (keep it on loopback)")
	return cmd
}

// serveGCPercent is the garbage collector's target of `parley serve` when
// the GOGC environment variable does not set one.
const serveGCPercent = 400

// serveDebug serves net/http/pprof on its own listener, apart from the API,
// so that profiles of a loaded server can be taken without exposing them.
func serveDebug(addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return parley.Errorf(parley.EINVALID, "--debug-addr: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("profiler listening", "addr", ln.Addr().String())
	go http.Serve(ln, mux)
	return nil
}

// redact hides a password in a database URL for the logs.
func redact(db string) string {
	if i := strings.Index(db, "://"); i >= 0 {
		if j := strings.Index(db[i+3:], "@"); j >= 0 {
			return db[:i+3] + "…" + db[i+3+j:]
		}
	}
	return db
}
