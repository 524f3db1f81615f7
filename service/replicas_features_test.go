package service_test

import (
	"context"
	"testing"
	"time"

	"parley"
	"parley/live"
	"parley/postgres/pgtest"
	"parley/service"
)

// TestRevokeAcrossReplicas: an invitation revoked through one replica is
// refused by the other once it has caught up on the revocation (which it
// does before its subscribers hear of it), also from its token cache, and
// the revoked token's stream there ends.
func TestRevokeAcrossReplicas(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := replica(t, dsn), replica(t, dsn)
	ctx := context.Background()
	n := setUp(t, a, b, time.Hour)
	res, err := a.Act(ctx, n.conv, live.Action{Type: live.EvInvited, Invite: live.InvitedData{Role: live.Observer}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := b.Authenticate(ctx, res.Secret) // cached on b
	if err != nil {
		t.Fatal(err)
	}
	sub, err := b.Subscribe(tok)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Unsubscribe(sub)
	rev, err := a.Act(ctx, n.conv, live.Action{Type: live.EvRevoked, Invitation: live.InvitationID(tok.Hash)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	received(t, n.subs[1], rev.Events[0].Seq) // b has caught up
	if _, err := b.Authenticate(ctx, res.Secret); parley.ErrorCode(err) != parley.EUNAUTHORIZED {
		t.Fatalf("the revoked token on the other replica: %v, want unauthorized", err)
	}
	timeout := time.After(20 * time.Second)
	for {
		select {
		case _, ok := <-sub.C:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("the revoked token's stream on the other replica is still open")
		}
	}
}

// TestKeyReusedAcrossReplicas: an idempotency key used through one replica
// and sent again through the other with a different request is refused
// (EKEYREUSED) and stores nothing; the same request through the other
// replica replays the first answer.
func TestKeyReusedAcrossReplicas(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := replica(t, dsn), replica(t, dsn)
	ctx := context.Background()
	n := setUp(t, a, b, time.Hour)
	buyer := n.parties[0]
	idem := func(path string) *service.Idem {
		return &service.Idem{TokenHash: buyer.Hash, Key: "k", Fingerprint: live.Fingerprint("POST", path, []byte("{}")),
			Render: func([]live.Event) (int, []byte, error) { return 200, []byte(`{"first":true}`), nil }}
	}
	if _, err := a.Act(ctx, buyer, offer(0), idem("/offers")); err != nil {
		t.Fatal(err)
	}
	var seq int64
	if err := a.State(n.id, func(st *live.State) { seq = st.Seq }); err != nil {
		t.Fatal(err)
	}
	// Through b, which has no reply in memory: another request with k.
	if _, err := b.Act(ctx, buyer, live.Action{Type: live.EvEnd}, idem("/end")); parley.ErrorCode(err) != parley.EKEYREUSED {
		t.Fatalf("key reused through the other replica: %v, want %s", err, parley.EKEYREUSED)
	}
	var seqB int64
	var phase live.Phase
	if err := b.State(n.id, func(st *live.State) { seqB, phase = st.Seq, st.Phase }); err != nil {
		t.Fatal(err)
	}
	if seqB != seq || phase != live.Running {
		t.Fatalf("after the refusal: seq %d, phase %s; want %d, running", seqB, phase, seq)
	}
	res, err := b.Act(ctx, buyer, offer(0), idem("/offers"))
	if err != nil || res.Reply == nil || string(res.Reply.Body) != `{"first":true}` {
		t.Fatalf("the same request through the other replica: %+v, %v; want the first answer replayed", res, err)
	}
}
