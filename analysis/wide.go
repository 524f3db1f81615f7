package analysis

import (
	"math/big"
	"math/bits"
)

// num is the integer type the merge runs on: int64 when a party's scaled
// utilities fit 62 bits, a 128-bit integer up to 125 bits (ANAC Travel needs
// 113), big integers beyond.
type num[T any] interface {
	add(T) T
	cmp(T) int
	// score is a float that never decreases as the number increases:
	// (x >> shift) converted to float64.
	score(shift uint) float64
}

type i64 int64

func (a i64) add(b i64) i64 { return a + b }
func (a i64) cmp(b i64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
func (a i64) score(shift uint) float64 { return float64(int64(a) >> shift) }

// i128 is a two's-complement 128-bit integer.
type i128 struct {
	hi int64
	lo uint64
}

func (a i128) add(b i128) i128 {
	lo, carry := bits.Add64(a.lo, b.lo, 0)
	return i128{a.hi + b.hi + int64(carry), lo}
}

func (a i128) cmp(b i128) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

func (a i128) score(shift uint) float64 {
	if shift == 0 {
		return float64(int64(a.lo))
	}
	if shift >= 64 {
		return float64(a.hi >> (shift - 64))
	}
	lo := a.lo>>shift | uint64(a.hi)<<(64-shift)
	return float64(int64(lo))
}

// bigNum is an arbitrary-precision integer (never modified in place).
type bigNum struct{ v *big.Int }

func (a bigNum) add(b bigNum) bigNum { return bigNum{new(big.Int).Add(a.v, b.v)} }
func (a bigNum) cmp(b bigNum) int    { return a.v.Cmp(b.v) }
func (a bigNum) score(shift uint) float64 {
	return float64(new(big.Int).Rsh(a.v, shift).Int64())
}

func toI64(x *big.Int) i64 { return i64(x.Int64()) }

func toI128(x *big.Int) i128 {
	var m big.Int
	m.And(x, new(big.Int).SetUint64(^uint64(0)))
	lo := m.Uint64()
	hi := new(big.Int).Rsh(x, 64) // arithmetic shift (floor) for negatives
	return i128{hi.Int64(), lo}
}

func toBig(x *big.Int) bigNum { return bigNum{x} }
