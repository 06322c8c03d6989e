package synth

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/kdf-tools/kdf/ingest"
)

// SizeDist says how many records each program of a campaign writes.
// A program's length is drawn, and it runs syscalls until that many
// hooks ran: the last syscall runs to its end, so a buffer holds a few
// dozen records more than drawn. A buffer is never cut: one whose
// program runs longer than its capacity fills up and drops the rest,
// as the kernel does.
type SizeDist struct {
	// Median is the median of the drawn records; 0 leaves the length of
	// programs to Config.Syscalls.
	Median int
	// Sigma is the standard deviation of ln(records): 0 draws Median
	// every time.
	Sigma float64
	// Max, if set, redraws any draw above it.
	Max int
	// Saturated is the chance that a program runs until its buffer is
	// full, whatever its draw: a loop, a program that never settles.
	Saturated float64
}

// Realistic is the size of buffers in a fuzzing campaign: most hold 200
// to 5,000 records, log-normally spread around 800, and one in a hundred
// fills its buffer.
var Realistic = SizeDist{Median: 800, Sigma: 0.9, Saturated: 0.01}

// realisticCapacity is the buffer size of realistic campaigns and of
// distributions without a Max, in words: a full buffer holds about
// 14,000 records.
const realisticCapacity = 1 << 16

// Record words: every record has at least one value; the catalog's
// programs average 4.6 words a record in layout A and 4.9 in layout B,
// and capacities leave room for 8.
const (
	minRecordWords  = ingest.RecordFixed + 1
	meanRecordWords = 4.7
	roomRecordWords = 8
)

// Fixed is the distribution of buffers of about n records each.
func Fixed(n int) SizeDist { return SizeDist{Median: n} }

// Set reports whether the distribution decides the length of programs.
func (d SizeDist) Set() bool { return d.Median > 0 }

// Validate reports the first problem with the distribution.
func (d SizeDist) Validate() error {
	switch {
	case d.Median < 0 || d.Max < 0:
		return fmt.Errorf("synth: records per buffer %d, max %d: negative", d.Median, d.Max)
	case d.Sigma < 0 || d.Sigma > 4 || math.IsNaN(d.Sigma):
		return fmt.Errorf("synth: sigma %v outside [0, 4]", d.Sigma)
	case d.Max > 0 && d.Max < d.Median:
		return fmt.Errorf("synth: max %d below the median %d", d.Max, d.Median)
	case !(d.Saturated >= 0 && d.Saturated <= 1):
		return fmt.Errorf("synth: saturated share %v outside [0, 1]", d.Saturated)
	case !d.Set() && (d.Sigma != 0 || d.Max != 0 || d.Saturated != 0):
		return errors.New("synth: a size distribution needs a median")
	}
	return nil
}

// Capacity is the buffer size, in words, that fits the distribution's
// buffers: Fixed sizes and Max with room to spare, else
// realisticCapacity, past which the longest programs fill their buffer.
func (d SizeDist) Capacity() int {
	most := d.Max
	if d.Sigma == 0 {
		most = d.Median
	}
	if most == 0 {
		return realisticCapacity
	}
	// One more syscall's worth of records: the last runs to its end.
	words := uint64(roomRecordWords * (most + 1024))
	return min(1<<bits.Len64(words-1), ingest.MaxBufferWords)
}

// hooks draws the hooks a program runs on a buffer of capacity words.
// A full buffer takes at most capacity/minRecordWords records, so a
// saturated program runs twice that many hooks, and no program more.
func (d SizeDist) hooks(rng *rand.Rand, capacity int) int {
	full := 2 * capacity / minRecordWords
	if d.Saturated > 0 && rng.Float64() < d.Saturated {
		return full
	}
	n := float64(d.Median)
	for d.Sigma > 0 {
		n = float64(d.Median) * math.Exp(d.Sigma*rng.NormFloat64())
		if d.Max == 0 || n <= float64(d.Max) {
			break
		}
	}
	return min(max(1, int(math.Round(n))), full)
}

// meanRecords estimates the mean records of a buffer of capacity words
// from a fixed sample of draws, counting a full buffer as
// capacity/meanRecordWords records.
func (d SizeDist) meanRecords(capacity int) float64 {
	const draws = 1 << 12
	rng := rand.New(rand.NewPCG(1, 2))
	full := float64(capacity) / meanRecordWords
	sum := 0.0
	for range draws {
		sum += min(float64(d.hooks(rng, capacity)), full)
	}
	return sum / draws
}

// String writes the distribution as ParseSizeDist reads it.
func (d SizeDist) String() string {
	if d == Realistic {
		return "realistic"
	}
	if d.Sigma == 0 && d.Max == 0 && d.Saturated == 0 {
		return strconv.Itoa(d.Median)
	}
	s := fmt.Sprintf("lognormal:median=%d,sigma=%g", d.Median, d.Sigma)
	if d.Max > 0 {
		s += fmt.Sprintf(",max=%d", d.Max)
	}
	if d.Saturated > 0 {
		s += fmt.Sprintf(",saturated=%g", d.Saturated)
	}
	return s
}

// ParseSizeDist reads a size distribution: "realistic", a number of
// records for Fixed, or "lognormal:median=M,sigma=S[,max=X][,saturated=P]".
func ParseSizeDist(s string) (SizeDist, error) {
	if s == "realistic" {
		return Realistic, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		d := Fixed(n)
		if n <= 0 {
			return d, fmt.Errorf("synth: %d records per buffer", n)
		}
		return d, nil
	}
	params, ok := strings.CutPrefix(s, "lognormal:")
	if !ok {
		return SizeDist{}, fmt.Errorf("synth: size distribution %q: want realistic, a number of records, or lognormal:median=M,sigma=S[,max=X][,saturated=P]", s)
	}
	var d SizeDist
	for _, kv := range strings.Split(params, ",") {
		if err := d.setParam(kv); err != nil {
			return d, fmt.Errorf("synth: size distribution %q: %w", s, err)
		}
	}
	if !d.Set() {
		return d, fmt.Errorf("synth: size distribution %q: needs median=M above 0", s)
	}
	return d, d.Validate()
}

func (d *SizeDist) setParam(kv string) error {
	key, val, _ := strings.Cut(kv, "=")
	var err error
	switch key {
	case "median":
		d.Median, err = strconv.Atoi(val)
	case "sigma":
		d.Sigma, err = strconv.ParseFloat(val, 64)
	case "max":
		d.Max, err = strconv.Atoi(val)
	case "saturated":
		d.Saturated, err = strconv.ParseFloat(val, 64)
	default:
		return fmt.Errorf("unknown parameter %q", kv)
	}
	if err != nil {
		return fmt.Errorf("%s: %q is not a number", key, val)
	}
	return nil
}
