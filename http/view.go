package httpapi

import (
	"time"

	"parley/live"
	"parley/scenario"
	"parley/space"
)

// View is a negotiation as one token may see it: the public record, plus
// the caller's own preferences when it is a participant.
type View struct {
	ID       string     `json:"id"`
	Title    string     `json:"title"`
	Protocol string     `json:"protocol"`
	Rule     string     `json:"rule,omitempty"`
	Phase    live.Phase `json:"phase"`
	Duration string     `json:"duration"`
	// TurnLimit is the SAOP per-turn time limit ("" for none).
	TurnLimit string           `json:"turn_limit,omitempty"`
	Created   time.Time        `json:"created"`
	Deadline  *time.Time       `json:"deadline,omitempty"`
	Seq       int64            `json:"seq"`
	Scenario  string           `json:"scenario"`
	Issues    []scenario.Issue `json:"issues"`
	Parties   []live.PartyInfo `json:"parties"`
	Mediator  string           `json:"mediator"`
	// You are the caller's role and party.
	You MeResponse `json:"you"`
	// Invitations are the negotiation's invitations, for conveners only.
	Invitations []InvitationView `json:"invitations,omitempty"`
	// Private is the caller's own party with its preferences (participants
	// only).
	Private *scenario.Party `json:"private,omitempty"`
	// SAOP.
	Turn string `json:"turn,omitempty"`
	// TurnDeadline is when the current turn expires (turn limit only).
	TurnDeadline *time.Time        `json:"turn_deadline,omitempty"`
	Round        int               `json:"round"`
	Offer        map[string]string `json:"offer,omitempty"`
	Proposer     string            `json:"proposer,omitempty"`
	// Text protocols.
	Versions []VersionView `json:"versions,omitempty"`
	// Agreement is the deal and who accepted it when.
	Agreement   map[string]string `json:"agreement,omitempty"`
	Acceptances []live.Acceptance `json:"acceptances,omitempty"`
}

// InvitationView is one invitation as conveners see it (never its token).
type InvitationView struct {
	ID      string    `json:"id"`
	Role    live.Role `json:"role"`
	Party   string    `json:"party,omitempty"`
	Revoked bool      `json:"revoked,omitempty"`
}

// VersionView is one text version and its public acceptances.
type VersionView struct {
	Version    int               `json:"version"`
	Outcome    map[string]string `json:"outcome"`
	Comment    string            `json:"comment,omitempty"`
	By         string            `json:"by"`
	AcceptedBy []string          `json:"accepted_by"`
	// Answered is how many participants answered (accepts and critiques).
	Answered int `json:"answered"`
}

// ViewOf builds the view of st for a token of role acting for party.
func ViewOf(st *live.State, role live.Role, party string) *View {
	n := st.N
	sc := n.Scenario
	v := &View{ID: n.ID, Title: n.Title, Protocol: n.Protocol, Rule: n.Rule, Phase: st.Phase, Duration: n.Duration.String(),
		Created: n.Created, Seq: st.Seq, Scenario: sc.Name, Issues: sc.Issues, Mediator: n.MediatorName(),
		You: MeResponse{Negotiation: n.ID, Role: role, Party: party}, Round: st.Round}
	for _, p := range sc.Parties {
		v.Parties = append(v.Parties, live.PartyInfo{Name: p.Name, Role: p.Role, Description: p.Description})
	}
	if !st.Deadline.IsZero() {
		d := st.Deadline
		v.Deadline = &d
	}
	if role == live.Participant {
		v.Private = st.PartyScenario(party)
	}
	if role == live.Convener {
		for _, inv := range st.InvitationList() {
			v.Invitations = append(v.Invitations, InvitationView{ID: inv.ID, Role: inv.Role, Party: inv.Party, Revoked: inv.Revoked})
		}
	}
	if st.Phase == live.Running && n.Protocol == live.SAOP {
		v.Turn = st.TurnParty()
	}
	if n.TurnLimit > 0 {
		v.TurnLimit = n.TurnLimit.String()
	}
	if td := st.TurnDeadline(); !td.IsZero() {
		v.TurnDeadline = &td
	}
	if st.Offer != nil {
		v.Offer, v.Proposer = space.Labels(sc, st.Offer), st.Proposer
	}
	for _, ver := range st.Versions {
		vv := VersionView{Version: ver.Number, Outcome: space.Labels(sc, ver.Outcome), Comment: ver.Comment, By: ver.By, AcceptedBy: []string{}, Answered: len(ver.Votes)}
		for _, vt := range ver.Votes {
			if vt.Accept {
				vv.AcceptedBy = append(vv.AcceptedBy, vt.Party)
			}
		}
		v.Versions = append(v.Versions, vv)
	}
	if st.Agreement != nil {
		v.Agreement, v.Acceptances = space.Labels(sc, st.Agreement), st.Acceptances
	}
	return v
}

func livePhase(p string) live.Phase { return live.Phase(p) }
