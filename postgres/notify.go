package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"parley/store"
)

// channelOf returns the NOTIFY channel of a schema: channels are per
// database, so servers on different schemas of one database (as the tests
// run) must not hear each other. A channel name has at most 63 bytes.
func channelOf(schema *string) string {
	sch := "public"
	if schema != nil {
		sch = *schema
	}
	ch := "parley_" + sch
	if len(ch) > 63 {
		h := sha256.Sum256([]byte(sch))
		ch = "parley_" + hex.EncodeToString(h[:16])
	}
	return ch
}

// notices are the payloads of a commit's notifications: "origin" then a
// line "negotiation seq" for each negotiation the commit appended to, at
// most noticeLines lines a payload (PostgreSQL takes under 8000 bytes).
func (s *Store) notices(last map[string]int64) []string {
	var out []string
	var b strings.Builder
	n := 0
	for id, seq := range last {
		if n == 0 {
			b.WriteString(s.origin)
		}
		b.WriteByte('\n')
		b.WriteString(id)
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(seq, 10))
		if n++; n == noticeLines {
			out = append(out, b.String())
			b.Reset()
			n = 0
		}
	}
	if n > 0 {
		out = append(out, b.String())
	}
	return out
}

// noticeLines bounds the lines of a notification: 150 lines of a 32-byte
// identifier and a sequence number fit well under 8000 bytes.
const noticeLines = 150

// parseNotices reads a notification payload: its origin and the last
// sequence number of each negotiation it names.
func parseNotices(p string) (origin string, last []store.Notice, ok bool) {
	origin, rest, ok := strings.Cut(p, "\n")
	if !ok || origin == "" {
		return "", nil, false
	}
	for _, line := range strings.Split(rest, "\n") {
		id, n, ok := strings.Cut(line, " ")
		if !ok || id == "" {
			return "", nil, false
		}
		seq, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return "", nil, false
		}
		last = append(last, store.Notice{Negotiation: id, Seq: seq})
	}
	return origin, last, true
}

// ListenerName is the application_name of the connection that listens for
// other servers' commits (visible in pg_stat_activity).
const ListenerName = "parley-listen"

// Listen implements store.Notifier: it holds a connection of its own that
// LISTENs on the schema's channel, and reconnects (after 0.1 s, doubling
// up to 5 s) when the connection is lost. It does not report the commits
// made through this Store: its server holds those events already.
func (s *Store) Listen(ctx context.Context, f func(store.Notice)) {
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		connected, err := s.listen(ctx, f)
		if ctx.Err() != nil {
			return
		}
		if connected {
			wait = 100 * time.Millisecond
		}
		f(store.Notice{Err: err})
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// listen runs one connection until it fails or ctx ends, and reports
// whether it got as far as listening.
func (s *Store) listen(ctx context.Context, f func(store.Notice)) (bool, error) {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = ListenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("postgres: listen: connect: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return false, fmt.Errorf("postgres: listen: %w", err)
	}
	f(store.Notice{Resync: true})
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, fmt.Errorf("postgres: wait for notification: %w", err)
		}
		if n.Channel != s.channel {
			continue
		}
		if origin, last, ok := parseNotices(n.Payload); ok && origin != s.origin {
			for _, nt := range last {
				f(nt)
			}
		}
	}
}
