package live

import (
	"encoding/json"
	"testing"
	"time"

	"parley"
)

// withTurnLimit returns the three-party SAOP negotiation with a turn limit
// of 10 minutes, created and started at t0.
func withTurnLimit(t *testing.T, t0 time.Time) *State {
	t.Helper()
	st := threeParty(t)
	st.N.TurnLimit = 10 * time.Minute
	created(t, st, t0)
	do(t, st, t0, Action{Type: EvStarted, Role: Convener})
	return st
}

// expire applies the turn expiry due at now, failing unless there is one
// naming party; it returns the event.
func expire(t *testing.T, st *State, now time.Time, party string, deadline time.Time) Event {
	t.Helper()
	evs, err := st.TurnExpiry(now)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Type != EvTurnExpired || !evs[0].Public() {
		t.Fatalf("turn expiry at %s: %+v, want one public %s event", now, evs, EvTurnExpired)
	}
	var d TurnExpiredData
	if err := json.Unmarshal(evs[0].Data, &d); err != nil {
		t.Fatal(err)
	}
	if d.Party != party || !d.Deadline.Equal(deadline) {
		t.Fatalf("turn expiry names %s, deadline %s; want %s, %s", d.Party, d.Deadline, party, deadline)
	}
	evs[0].Seq = st.Seq + 1
	evs[0].Seal(st.Hash)
	if err := st.Apply(&evs[0]); err != nil {
		t.Fatal(err)
	}
	return evs[0]
}

func TestTurnExpiry(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	st := withTurnLimit(t, t0)
	// A's first turn runs from the start to t0+10m.
	if got := st.TurnDeadline(); !got.Equal(at(10)) {
		t.Fatalf("first turn deadline %s, want %s", got, at(10))
	}
	if evs, err := st.TurnExpiry(at(10).Add(-time.Nanosecond)); err != nil || evs != nil {
		t.Fatalf("expiry before the turn deadline: %+v, %v", evs, err)
	}
	// A offers b at 5m: B's turn runs to 15m.
	do(t, st, at(5), Action{Type: EvOffer, Role: Participant, Party: "A", Outcome: map[string]string{"x": "b"}})
	if got := st.TurnDeadline(); !got.Equal(at(15)) {
		t.Fatalf("B's turn deadline %s, want %s", got, at(15))
	}
	// B is late: refused, nothing changes.
	seq, hash := st.Seq, st.Hash
	if _, err := st.Decide(at(15), Action{Type: EvAccept, Role: Participant, Party: "B"}); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Fatalf("B accepting at its turn deadline: %v, want a conflict", err)
	}
	if st.Seq != seq || st.Hash != hash || st.TurnParty() != "B" {
		t.Fatal("a refused late action changed the state")
	}
	expire(t, st, at(15), "B", at(15))
	// C's turn; A's offer stands.
	if st.TurnParty() != "C" || st.Offer == nil || st.Offer[0] != 1 || st.Proposer != "A" || st.Round != 0 {
		t.Fatalf("after B's expiry: turn %s, offer %v by %s, round %d; want C, [1] by A, 0", st.TurnParty(), st.Offer, st.Proposer, st.Round)
	}
	// B may not act on C's turn; it is told its turn expired.
	if _, err := st.Decide(at(16), Action{Type: EvAccept, Role: Participant, Party: "B"}); parley.ErrorCode(err) != parley.ECONFLICT ||
		message(err) != "your turn expired at 2026-11-29T12:15:00Z; it is C's turn" {
		t.Fatalf("B acting on C's turn: %v", err)
	}
	do(t, st, at(16), Action{Type: EvAccept, Role: Participant, Party: "C"})
	// After C's acceptance B is merely out of turn.
	if _, err := st.Decide(at(16), Action{Type: EvAccept, Role: Participant, Party: "B"}); message(err) != "not your turn: it is A's turn" {
		t.Fatalf("B acting on A's turn: %v", err)
	}
	// A's turn runs 16m to 26m; it expires, recorded late at 30m (as after
	// a server restart): B's turn then runs from 30m, and C's acceptance no
	// longer counts (acceptances must come in a row).
	if st.TurnParty() != "A" || st.Round != 1 {
		t.Fatalf("turn %s, round %d; want A, 1", st.TurnParty(), st.Round)
	}
	expire(t, st, at(30), "A", at(26))
	if got := st.TurnDeadline(); !got.Equal(at(40)) || len(st.Accepts) != 0 {
		t.Fatalf("B's turn deadline %s, acceptances %v; want %s, none", got, st.Accepts, at(40))
	}
	if evs := do(t, st, at(31), Action{Type: EvAccept, Role: Participant, Party: "B"}); len(evs) != 1 {
		t.Fatalf("B's acceptance after C's was wiped: %d events, want 1 (no agreement)", len(evs))
	}
	evs := do(t, st, at(32), Action{Type: EvAccept, Role: Participant, Party: "C"})
	if len(evs) != 2 || evs[1].Type != EvAgreement || st.Phase != Agreed {
		t.Fatalf("B and C in a row: %+v, phase %s", evs, st.Phase)
	}
	if len(st.Acceptances) != 3 || st.Acceptances[0].Party != "A" || st.Acceptances[1].Party != "B" || st.Acceptances[2].Party != "C" ||
		!st.Acceptances[0].At.Equal(at(5)) || !st.Acceptances[1].At.Equal(at(31)) {
		t.Fatalf("acceptances %+v, want A at 5m, B at 31m, C at 32m", st.Acceptances)
	}
	if evs, err := st.TurnExpiry(at(100)); err != nil || evs != nil {
		t.Fatalf("expiry after the agreement: %+v, %v", evs, err)
	}
}

func TestTurnBackToProposer(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	st := withTurnLimit(t, t0)
	do(t, st, t0, Action{Type: EvOffer, Role: Participant, Party: "A", Outcome: map[string]string{"x": "a"}})
	expire(t, st, t0.Add(10*time.Minute), "B", t0.Add(10*time.Minute))
	expire(t, st, t0.Add(20*time.Minute), "C", t0.Add(20*time.Minute))
	if _, err := st.Decide(t0.Add(21*time.Minute), Action{Type: EvAccept, Role: Participant, Party: "A"}); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Fatalf("A accepting its own offer: %v, want a conflict", err)
	}
	do(t, st, t0.Add(21*time.Minute), Action{Type: EvOffer, Role: Participant, Party: "A", Outcome: map[string]string{"x": "c"}})
	if st.TurnParty() != "B" || st.Round != 1 {
		t.Fatalf("turn %s round %d, want B 1", st.TurnParty(), st.Round)
	}
}

func TestTurnExpiryYieldsToDeadline(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	st := withTurnLimit(t, t0)
	// 60 minutes in, the negotiation's deadline has passed: it times out;
	// no turn expires.
	if evs, err := st.TurnExpiry(t0.Add(time.Hour)); err != nil || evs != nil {
		t.Fatalf("turn expiry at the deadline: %+v, %v", evs, err)
	}
	if evs, err := st.Timeout(t0.Add(time.Hour)); err != nil || len(evs) != 1 {
		t.Fatalf("timeout at the deadline: %+v, %v", evs, err)
	}
	// Without a turn limit no turn expires.
	st2 := threeParty(t)
	created(t, st2, t0)
	do(t, st2, t0, Action{Type: EvStarted, Role: Convener})
	if evs, err := st2.TurnExpiry(t0.Add(59 * time.Minute)); !st2.TurnDeadline().IsZero() || err != nil || evs != nil {
		t.Fatal("a negotiation without a turn limit has a turn deadline")
	}
}

// TestTurnReplay: replaying the log, expiries included, rebuilds the same
// state without reading the clock.
func TestTurnReplay(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	st := threeParty(t)
	st.N.TurnLimit = 10 * time.Minute
	var log []Event
	e, err := st.event(t0, EvCreated, "", CreatedData{Title: "three"})
	if err != nil {
		t.Fatal(err)
	}
	e.Seq = 1
	e.Seal("")
	if err := st.Apply(&e); err != nil {
		t.Fatal(err)
	}
	log = append(log, e)
	log = append(log, do(t, st, t0, Action{Type: EvStarted, Role: Convener})...)
	log = append(log, do(t, st, t0.Add(time.Minute), Action{Type: EvOffer, Role: Participant, Party: "A", Outcome: map[string]string{"x": "b"}})...)
	log = append(log, expire(t, st, t0.Add(11*time.Minute), "B", t0.Add(11*time.Minute)))

	st2 := threeParty(t)
	st2.N.TurnLimit = 10 * time.Minute
	for i := range log {
		if err := st2.Apply(&log[i]); err != nil {
			t.Fatal(err)
		}
	}
	if st2.TurnParty() != "C" || !st2.TurnStart.Equal(t0.Add(11*time.Minute)) || !st2.TurnDeadline().Equal(t0.Add(21*time.Minute)) ||
		st2.Seq != 4 || st2.Hash != st.Hash || st2.Proposer != "A" {
		t.Fatalf("replayed: turn %s from %s, seq %d, proposer %s; want C from %s, seq 4, A", st2.TurnParty(), st2.TurnStart, st2.Seq, st2.Proposer, t0.Add(11*time.Minute))
	}
}

func TestRevoke(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	st := threeParty(t)
	created(t, st, t0)
	do(t, st, t0, Action{Type: EvInvited, Role: Convener, Invite: InvitedData{Role: Convener, ID: "c0"}})
	do(t, st, t0, Action{Type: EvInvited, Role: Convener, Invite: InvitedData{Role: Participant, Party: "B", ID: "b1"}})
	do(t, st, t0, Action{Type: EvInvited, Role: Convener, Invite: InvitedData{Role: Convener, ID: "c2"}})
	refused := func(a Action, code string) {
		t.Helper()
		seq := st.Seq
		if _, err := st.Decide(t0, a); parley.ErrorCode(err) != code {
			t.Fatalf("%+v: %v, want %s", a, err, code)
		}
		if st.Seq != seq {
			t.Fatal("a refusal changed the state")
		}
	}
	refused(Action{Type: EvRevoked, Role: Participant, Party: "B", Self: "b1", Invitation: "c2"}, parley.EFORBIDDEN)
	refused(Action{Type: EvRevoked, Role: Convener, Self: "c2", Invitation: "nope"}, parley.ENOTFOUND)
	refused(Action{Type: EvRevoked, Role: Convener, Self: "c2", Invitation: ""}, parley.ENOTFOUND)
	refused(Action{Type: EvRevoked, Role: Convener, Self: "c2", Invitation: "c0"}, parley.EFORBIDDEN) // the creation's convener
	refused(Action{Type: EvRevoked, Role: Convener, Self: "c2", Invitation: "c2"}, parley.EFORBIDDEN) // itself
	evs := do(t, st, t0, Action{Type: EvRevoked, Role: Convener, Self: "c2", Invitation: "b1", Comment: "lost laptop"})
	if len(evs) != 1 || evs[0].Type != EvRevoked || len(evs[0].To) != 1 || evs[0].To[0] != ToConvener {
		t.Fatalf("revocation events %+v, want one for the convener only", evs)
	}
	var d RevokedData
	if err := json.Unmarshal(evs[0].Data, &d); err != nil {
		t.Fatal(err)
	}
	if d != (RevokedData{ID: "b1", Role: Participant, Party: "B", Reason: "lost laptop"}) {
		t.Fatalf("revocation data %+v", d)
	}
	if !st.Invitations["b1"].Revoked || st.Invitations["c2"].Revoked || st.Invitations["c0"].Revoked {
		t.Fatalf("invitations after revoking b1: %+v %+v %+v", st.Invitations["b1"], st.Invitations["c2"], st.Invitations["c0"])
	}
	refused(Action{Type: EvRevoked, Role: Convener, Self: "c0", Invitation: "b1"}, parley.ECONFLICT) // twice
	do(t, st, t0, Action{Type: EvRevoked, Role: Convener, Self: "c0", Invitation: "c2"})
	if !st.Invitations["c2"].Revoked {
		t.Fatal("c2 not revoked")
	}
}
