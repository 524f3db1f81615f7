package service_test

import (
	"context"
	"testing"
	"time"

	"parley"
	"parley/live"
	"parley/postgres/pgtest"
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
