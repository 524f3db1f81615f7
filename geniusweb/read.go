package geniusweb

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// domainIssue is one issue of a GeniusWeb domain.
type domainIssue struct {
	name   string
	values []string // discrete value set
	// number value set
	isRange         bool
	low, high, step float64
}

// domainDoc is a GeniusWeb domain: {"name":…, "issuesValues":{…}}.
type domainDoc struct {
	name   string
	issues []domainIssue
}

// valueUtils is the utility of one issue's values.
type valueUtils struct {
	discrete                                     map[string]float64
	number                                       bool
	lowValue, lowUtility, highValue, highUtility float64
}

// profileDoc is a LinearAdditiveUtilitySpace.
type profileDoc struct {
	name      string
	dom       *domainDoc
	utils     map[string]valueUtils
	utilOrder []string
	weights   map[string]float64
	weightOrd []string
	resBid    map[string]string // nil when absent
}

// parseDomainValue reads {"name":…, "issuesValues":{…}}. where names the
// place in the file for errors.
func parseDomainValue(raw json.RawMessage, where string) (*domainDoc, error) {
	ms, err := object(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	d := &domainDoc{}
	if v, _ := field(ms, "name"); v != nil {
		if err := json.Unmarshal(v, &d.name); err != nil {
			return nil, fmt.Errorf("%s.name: want a string, found %s", where, kindOf(v))
		}
	}
	iv, _ := field(ms, "issuesValues")
	if iv == nil {
		return nil, fmt.Errorf("%s: missing issuesValues", where)
	}
	issues, err := object(iv)
	if err != nil {
		return nil, fmt.Errorf("%s.issuesValues: %w", where, err)
	}
	if len(issues) == 0 {
		return nil, fmt.Errorf("%s.issuesValues: no issues", where)
	}
	for _, m := range issues {
		at := where + ".issuesValues." + m.key
		vs, err := object(m.val)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		is := domainIssue{name: m.key}
		if v, _ := field(vs, "values"); v != nil {
			var list []json.RawMessage
			if err := json.Unmarshal(v, &list); err != nil {
				return nil, fmt.Errorf("%s.values: want a list, found %s", at, kindOf(v))
			}
			seen := map[string]bool{}
			for i, x := range list {
				s, _, err := label(x)
				if err != nil {
					return nil, fmt.Errorf("%s.values[%d]: %w", at, i, err)
				}
				if seen[s] {
					return nil, fmt.Errorf("%s.values[%d]: duplicate value %q", at, i, s)
				}
				seen[s] = true
				is.values = append(is.values, s)
			}
			if len(is.values) == 0 {
				return nil, fmt.Errorf("%s.values: empty", at)
			}
		} else if r, _ := field(vs, "range"); r != nil {
			rs, err := object(r)
			if err != nil {
				return nil, fmt.Errorf("%s.range: %w", at, err)
			}
			is.isRange = true
			for _, p := range []struct {
				key string
				dst *float64
			}{{"low", &is.low}, {"high", &is.high}, {"step", &is.step}} {
				v, _ := field(rs, p.key)
				if v == nil {
					return nil, fmt.Errorf("%s.range: missing %s", at, p.key)
				}
				if *p.dst, err = number(v); err != nil {
					return nil, fmt.Errorf("%s.range.%s: %w", at, p.key, err)
				}
			}
			if is.high < is.low {
				return nil, fmt.Errorf("%s.range: high %v is below low %v", at, is.high, is.low)
			}
			if !(is.step > 0) {
				return nil, fmt.Errorf("%s.range.step: must be > 0, found %v", at, is.step)
			}
			if (is.high-is.low)/is.step > 1<<24 {
				return nil, fmt.Errorf("%s.range: more than %d values", at, 1<<24)
			}
		} else {
			return nil, fmt.Errorf("%s: want {\"values\": […]} or {\"range\": {…}}", at)
		}
		d.issues = append(d.issues, is)
	}
	return d, nil
}

// otherProfiles are GeniusWeb profile types Parley recognises as profiles
// but cannot read (it reads LinearAdditiveUtilitySpace only).
var otherProfiles = []string{"DiscountedProfile", "SumOfGroupsUtilitySpace", "DefaultPartialOrdering"}

// parseProfileValue reads {"LinearAdditiveUtilitySpace": {…}}.
func parseProfileValue(raw json.RawMessage, file string) (*profileDoc, error) {
	top, err := object(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	body, _ := field(top, "LinearAdditiveUtilitySpace")
	if body == nil {
		var keys []string
		for _, m := range top {
			keys = append(keys, m.key)
		}
		return nil, fmt.Errorf("%s: not a LinearAdditiveUtilitySpace profile (top-level keys: %s); Parley reads linear additive GeniusWeb profiles only", file, strings.Join(keys, ", "))
	}
	const at = "LinearAdditiveUtilitySpace"
	ms, err := object(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", file, at, err)
	}
	p := &profileDoc{utils: map[string]valueUtils{}, weights: map[string]float64{}}
	if v, _ := field(ms, "name"); v != nil {
		_ = json.Unmarshal(v, &p.name)
	}
	if v, _ := field(ms, "domain"); v != nil {
		if p.dom, err = parseDomainValue(v, at+".domain"); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	iu, _ := field(ms, "issueUtilities")
	if iu == nil {
		return nil, fmt.Errorf("%s: %s: missing issueUtilities", file, at)
	}
	ius, err := object(iu)
	if err != nil {
		return nil, fmt.Errorf("%s: %s.issueUtilities: %w", file, at, err)
	}
	for _, m := range ius {
		where := at + ".issueUtilities." + m.key
		u, err := parseValueUtils(m.val, where)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		p.utils[m.key] = u
		p.utilOrder = append(p.utilOrder, m.key)
	}
	iw, _ := field(ms, "issueWeights")
	if iw == nil {
		return nil, fmt.Errorf("%s: %s: missing issueWeights", file, at)
	}
	iws, err := object(iw)
	if err != nil {
		return nil, fmt.Errorf("%s: %s.issueWeights: %w", file, at, err)
	}
	for _, m := range iws {
		x, err := number(m.val)
		if err != nil {
			return nil, fmt.Errorf("%s: %s.issueWeights.%s: %w", file, at, m.key, err)
		}
		if x < 0 {
			return nil, fmt.Errorf("%s: %s.issueWeights.%s: weight %v is negative", file, at, m.key, x)
		}
		p.weights[m.key] = x
		p.weightOrd = append(p.weightOrd, m.key)
	}
	if rb, _ := field(ms, "reservationBid"); !isNull(rb) {
		bid, err := parseBid(rb)
		if err != nil {
			return nil, fmt.Errorf("%s: %s.reservationBid: %w", file, at, err)
		}
		p.resBid = bid
	}
	return p, nil
}

func parseValueUtils(raw json.RawMessage, where string) (valueUtils, error) {
	var u valueUtils
	ms, err := object(raw)
	if err != nil {
		return u, fmt.Errorf("%s: %w", where, err)
	}
	if v, key := field(ms, "DiscreteValueSetUtilities", "discreteutils"); v != nil {
		where += "." + key
		inner, err := object(v)
		if err != nil {
			return u, fmt.Errorf("%s: %w", where, err)
		}
		vu, _ := field(inner, "valueUtilities")
		if vu == nil {
			return u, fmt.Errorf("%s: missing valueUtilities", where)
		}
		vals, err := object(vu)
		if err != nil {
			return u, fmt.Errorf("%s.valueUtilities: %w", where, err)
		}
		u.discrete = map[string]float64{}
		for _, m := range vals {
			x, err := number(m.val)
			if err != nil {
				return u, fmt.Errorf("%s.valueUtilities.%s: %w", where, m.key, err)
			}
			u.discrete[m.key] = x
		}
		return u, nil
	}
	if v, key := field(ms, "NumberValueSetUtilities", "numberutils"); v != nil {
		where += "." + key
		inner, err := object(v)
		if err != nil {
			return u, fmt.Errorf("%s: %w", where, err)
		}
		u.number = true
		for _, p := range []struct {
			key string
			dst *float64
		}{{"lowValue", &u.lowValue}, {"lowUtility", &u.lowUtility}, {"highValue", &u.highValue}, {"highUtility", &u.highUtility}} {
			x, _ := field(inner, p.key)
			if x == nil {
				return u, fmt.Errorf("%s: missing %s", where, p.key)
			}
			if *p.dst, err = number(x); err != nil {
				return u, fmt.Errorf("%s.%s: %w", where, p.key, err)
			}
		}
		if !(u.highValue > u.lowValue) {
			return u, fmt.Errorf("%s: highValue %v must exceed lowValue %v", where, u.highValue, u.lowValue)
		}
		return u, nil
	}
	var keys []string
	for _, m := range ms {
		keys = append(keys, m.key)
	}
	return u, fmt.Errorf("%s: unknown value utilities %s: want DiscreteValueSetUtilities (discreteutils) or NumberValueSetUtilities (numberutils)", where, strings.Join(keys, ", "))
}

// parseBid reads {"issuevalues": {issue: value}}, also when wrapped as
// {"Bid": {…}}.
func parseBid(raw json.RawMessage) (map[string]string, error) {
	ms, err := object(raw)
	if err != nil {
		return nil, err
	}
	if v, _ := field(ms, "Bid"); v != nil && len(ms) == 1 {
		return parseBid(v)
	}
	iv, _ := field(ms, "issuevalues")
	if iv == nil {
		return nil, fmt.Errorf("missing issuevalues")
	}
	vals, err := object(iv)
	if err != nil {
		return nil, fmt.Errorf("issuevalues: %w", err)
	}
	bid := map[string]string{}
	for _, m := range vals {
		s, _, err := label(m.val)
		if err != nil {
			return nil, fmt.Errorf("issuevalues.%s: %w", m.key, err)
		}
		bid[m.key] = s
	}
	return bid, nil
}

// rangeCount is the number of values low, low+step, … ≤ high (with a
// relative tolerance for decimal steps).
func rangeCount(low, high, step float64) int {
	q := (high - low) / step
	n := math.Floor(q + 1e-9*math.Max(1, q))
	return int(n) + 1
}
