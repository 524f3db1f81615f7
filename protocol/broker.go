package protocol

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"parley"
	"parley/analysis"
	"parley/negotiation"
	"parley/utility"
)

// Rule is the fairness rule by which the broker ranks packages.
type Rule string

// Fairness rules. Each ranks the rational packages by a score of the
// participants' gains over their disagreement values d = max(reservation,
// worst utility); ties go to higher welfare, then to the lower outcome
// index.
const (
	// Nash maximises the product of gains Π(u − d).
	Nash Rule = "nash"
	// Egalitarian maximises the smallest gain min(u − d).
	Egalitarian Rule = "egalitarian"
	// KalaiSmorodinsky maximises the smallest normalised gain
	// min((u − d)/(max − d)): equal shares of each party's possible gain.
	KalaiSmorodinsky Rule = "kalai-smorodinsky"
	// MaxWelfare maximises the sum of utilities Σu.
	MaxWelfare Rule = "welfare"
)

// Rules lists the fairness rules.
func Rules() []Rule { return []Rule{Nash, Egalitarian, KalaiSmorodinsky, MaxWelfare} }

// ruleText says in words what a rule maximises, for explanations.
var ruleText = map[Rule]string{
	Nash:             "the Nash rule: of the packages not yet ruled out, it gives the largest product of the participants' gains over walking away",
	Egalitarian:      "the egalitarian rule: of the packages not yet ruled out, it gives the largest gain over walking away to the participant who gains least",
	KalaiSmorodinsky: "the Kalai–Smorodinsky rule: of the packages not yet ruled out, it gives the participant worst off the largest share of what it could possibly gain",
	MaxWelfare:       "the welfare rule: of the packages not yet ruled out, it gives the largest total utility",
}

// MaxBrokerOutcomes is the largest outcome space the broker enumerates.
const MaxBrokerOutcomes = 1 << 22

// Broker is Parley's broker, the mediator of the broker protocol. The
// participants confide their preferences to it (it is the only role given
// them: see negotiation.Trusted). It proposes packages chosen by a fairness
// Rule among the rational packages (worth at least every participant's
// reservation value) not yet ruled out, and learns from rejections: a party
// that rejected a package wants more than that package gives it, so every
// package worth no more to it is ruled out; when a party names the issue
// that blocks it, packages that keep that issue's rejected value are tried
// last. When every package is ruled out it starts over (parties may have
// lowered their demands). Each proposal carries an explanation that names
// issues, values, parties and the rule, never a private number.
type Broker struct {
	// Rule ranks packages; "" means Nash.
	Rule Rule

	pub    *negotiation.Public
	names  []string
	k      int
	outs   []int       // candidate c is outs[c*k : c*k+k], best first
	us     [][]float64 // us[i][c]: party i's utility of candidate c
	floor  []float64   // party i wants more than floor[i]
	blocks []block
	prev   []int
	buf    []int
	n      int // proposals made
	last   int // candidate proposed last
	note   string
}

// block is an objection: party said issue blocks it at value.
type block struct{ party, issue, value int }

// Init implements negotiation.Mediator: it ranks the rational packages.
func (b *Broker) Init(t *negotiation.Trusted) error {
	if b.Rule == "" {
		b.Rule = Nash
	}
	if _, ok := ruleText[b.Rule]; !ok {
		return parley.Errorf(parley.EINVALID, "unknown fairness rule %q", b.Rule)
	}
	sp := t.Public.Space
	size, ok := sp.Len()
	if !ok || size > MaxBrokerOutcomes {
		return parley.Errorf(parley.EUNSUPPORTED, "broker: the space has %s outcomes, more than %d", sp.BigLen(), MaxBrokerOutcomes)
	}
	b.pub, b.k = t.Public, sp.Issues()
	n := len(t.Profiles)
	all := make([][]float64, n)
	d, mx := make([]float64, n), make([]float64, n)
	res := make([]float64, n)
	b.names = make([]string, n)
	for i, p := range t.Profiles {
		b.names[i] = t.Public.Parties[i].Name
		all[i] = make([]float64, size)
		utility.Fill(p.Func, sp, all[i])
		lo, hi := p.Func.Range()
		res[i] = math.Inf(-1)
		if p.HasReservation {
			res[i] = p.Reservation
		}
		d[i], mx[i] = math.Max(res[i], lo), hi
	}
	type cand struct {
		idx            int64
		score, welfare float64
	}
	var cs []cand
	for o := int64(0); o < size; o++ {
		ok := true
		for i := range all {
			if all[i][o] < res[i] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		c := cand{idx: o, score: 1}
		switch b.Rule {
		case Egalitarian, KalaiSmorodinsky:
			c.score = math.Inf(1)
		case MaxWelfare:
			c.score = 0
		}
		for i := range all {
			u := all[i][o]
			c.welfare += u
			switch b.Rule {
			case Nash:
				c.score *= u - d[i]
			case Egalitarian:
				c.score = math.Min(c.score, u-d[i])
			case KalaiSmorodinsky:
				c.score = math.Min(c.score, analysis.KSGain(u, d[i], mx[i]))
			case MaxWelfare:
				c.score += u
			}
		}
		cs = append(cs, c)
	}
	slices.SortStableFunc(cs, func(x, y cand) int {
		if c := cmp.Compare(y.score, x.score); c != 0 {
			return c
		}
		if c := cmp.Compare(y.welfare, x.welfare); c != 0 {
			return c
		}
		return cmp.Compare(x.idx, y.idx)
	})
	b.outs = make([]int, len(cs)*b.k)
	b.us = make([][]float64, n)
	for i := range b.us {
		b.us[i] = make([]float64, len(cs))
	}
	for c, x := range cs {
		sp.Outcome(x.idx, b.outs[c*b.k:c*b.k+b.k])
		for i := range all {
			b.us[i][c] = all[i][x.idx]
		}
	}
	b.floor = make([]float64, n)
	b.forget()
	b.blocks, b.prev, b.buf, b.n, b.last = nil, nil, make([]int, b.k), 0, -1
	return nil
}

// forget drops what the broker learned from rejections.
func (b *Broker) forget() {
	for i := range b.floor {
		b.floor[i] = math.Inf(-1)
	}
	b.blocks = b.blocks[:0]
}

// Candidates returns the number of rational packages.
func (b *Broker) Candidates() int { return len(b.outs) / max(b.k, 1) }

func (b *Broker) open(c int, withBlocks bool) bool {
	for i := range b.floor {
		if b.us[i][c] <= b.floor[i] {
			return false
		}
	}
	if withBlocks {
		o := b.outs[c*b.k : c*b.k+b.k]
		for _, bl := range b.blocks {
			if o[bl.issue] == bl.value {
				return false
			}
		}
	}
	return true
}

// Propose implements negotiation.Mediator. It takes the best-ranked
// rational package that gives every participant that has turned a package
// down more than that package did, preferring packages that change the
// values named as blocking. When no package is left, it forgets what it
// learned and returns to the best-ranked package: demands must ease first.
func (b *Broker) Propose(*negotiation.State) ([]int, string, error) {
	nc := b.Candidates()
	if nc == 0 {
		return nil, "No package gives every participant at least what it would get by walking away, so the broker has nothing to propose.", nil
	}
	pick := -1
	for _, withBlocks := range []bool{true, false} {
		for c := 0; c < nc && pick < 0; c++ {
			if b.open(c, withBlocks) {
				pick = c
			}
		}
	}
	reset := false
	if pick < 0 {
		b.forget()
		pick, reset = 0, true
	}
	b.last = pick
	copy(b.buf, b.outs[pick*b.k:pick*b.k+b.k])
	b.n++
	expl := b.explain(reset)
	b.prev = append(b.prev[:0], b.buf...)
	b.note = ""
	return b.buf, expl, nil
}

// explain writes the public explanation of the proposal in b.buf.
func (b *Broker) explain(reset bool) string {
	var s strings.Builder
	fmt.Fprintf(&s, "Proposal %d: ", b.n)
	if slices.Equal(b.prev, b.buf) {
		s.WriteString("the same package again")
	} else {
		for i, v := range b.buf {
			if i > 0 {
				s.WriteString("; ")
			}
			s.WriteString(b.pub.Issues[i].Name + " = " + b.pub.Issues[i].Label(v))
		}
	}
	fmt.Fprintf(&s, ". Every participant (%s) does at least as well as by walking away. Chosen by %s.", strings.Join(b.names, ", "), ruleText[b.Rule])
	if b.note != "" {
		s.WriteString(" " + b.note)
	}
	if reset {
		s.WriteString(" No package gives more to every participant that turned one down, so the broker returns to the fairest package: demands must ease before any other can pass.")
	}
	if b.prev != nil {
		var ch []string
		for i, v := range b.buf {
			if b.prev[i] != v {
				is := &b.pub.Issues[i]
				ch = append(ch, fmt.Sprintf("%s from %s to %s", is.Name, is.Label(b.prev[i]), is.Label(v)))
			}
		}
		if len(ch) > 0 {
			s.WriteString(" Changes from the previous proposal: " + strings.Join(ch, "; ") + ".")
		}
	}
	return s.String()
}

// Learn implements negotiation.Mediator: every party that rejected the text
// wants more than it gives it.
func (b *Broker) Learn(_ *negotiation.State, text []int, votes []negotiation.Vote) error {
	c := b.find(text)
	var who, blocked []string
	for i, v := range votes {
		if v.Response == negotiation.Accept {
			continue
		}
		who = append(who, b.names[i])
		if c >= 0 {
			b.floor[i] = math.Max(b.floor[i], b.us[i][c])
		}
		if v.Blocking >= 0 && v.Blocking < b.k {
			b.blocks = append(b.blocks, block{party: i, issue: v.Blocking, value: text[v.Blocking]})
			blocked = append(blocked, fmt.Sprintf("%s named %s as blocking", b.names[i], b.pub.Issues[v.Blocking].Name))
		}
	}
	if len(who) > 0 {
		b.note = fmt.Sprintf("The previous proposal was turned down by %s; the next package must give them more.", strings.Join(who, ", "))
		if len(blocked) > 0 {
			b.note += " " + strings.Join(blocked, "; ") + ", so packages that change those values are preferred."
		}
	}
	return nil
}

// find returns the candidate position of text, or -1.
func (b *Broker) find(text []int) int {
	if c := b.last; c >= 0 && c < b.Candidates() && slices.Equal(b.outs[c*b.k:c*b.k+b.k], text) {
		return c
	}
	for c := 0; c < b.Candidates(); c++ {
		if slices.Equal(b.outs[c*b.k:c*b.k+b.k], text) {
			return c
		}
	}
	return -1
}

// compile-time checks.
var (
	_ negotiation.Mediator = (*Broker)(nil)
	_ negotiation.Mediator = (*RandomFlip)(nil)
)
