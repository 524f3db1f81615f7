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

// notice is the payload of a commit's notification: "origin negotiation
// seq".
func (s *Store) notice(id string, seq int64) string {
	return s.origin + " " + id + " " + strconv.FormatInt(seq, 10)
}

// parseNotice reads a notification payload.
func parseNotice(p string) (origin, id string, seq int64, ok bool) {
	origin, rest, ok1 := strings.Cut(p, " ")
	i := strings.LastIndexByte(rest, ' ')
	if !ok1 || i <= 0 {
		return "", "", 0, false
	}
	seq, err := strconv.ParseInt(rest[i+1:], 10, 64)
	if err != nil {
		return "", "", 0, false
	}
	return origin, rest[:i], seq, true
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
		if origin, id, seq, ok := parseNotice(n.Payload); ok && origin != s.origin {
			f(store.Notice{Negotiation: id, Seq: seq})
		}
	}
}
