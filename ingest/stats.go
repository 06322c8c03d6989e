package ingest

import "fmt"

// Stats is one buffer's accounting: what it holds and what it lost.
// The JSON names are those of `kdf inspect --json` and of the runs table.
type Stats struct {
	Path   string `json:"path"`
	Layout Layout `json:"layout"`
	// LayoutForced is true when the caller chose the layout.
	LayoutForced bool `json:"layout_forced"`

	// Words is the counter in word 0: record words written.
	Words uint64 `json:"words"`
	// CounterValid is false when the counter exceeds the kernel's
	// 128 MiB limit; the decoder then reads to the end of the file.
	CounterValid bool `json:"counter_valid"`
	// FileWords is the number of whole words in the file (counter
	// included); TrailingBytes the bytes after the last whole word.
	FileWords     int64 `json:"file_words"`
	TrailingBytes int   `json:"trailing_bytes"`
	// Capacity in words (counter included) when known: the file is the
	// whole mapping (longer than 1 + Words), or a manifest said so.
	Capacity int64 `json:"capacity,omitempty"`
	// MissingWords are counted words the file does not contain.
	MissingWords int64 `json:"missing_words"`

	Records int64 `json:"records"`
	// RecordWords is the words the decoded records occupy.
	RecordWords int64 `json:"record_words"`
	Entries     int64 `json:"entries"`
	Rets        int64 `json:"rets"`
	Cmps        int64 `json:"cmps"`

	// DamagedWords were skipped while resynchronising inside the data;
	// DamageEvents counts the places where that happened.
	DamagedWords int64 `json:"damaged_words"`
	DamageEvents int64 `json:"damage_events"`
	// Torn is a tail of counted words that holds no complete record:
	// the counter is advanced before the body is written.
	Torn      bool  `json:"torn"`
	TornWords int64 `json:"torn_words"`
	// Saturated: the free space left is smaller than the largest record
	// seen, so later records were probably dropped. Known only with
	// the capacity.
	Saturated      bool  `json:"saturated"`
	MaxRecordWords int64 `json:"max_record_words"`

	// Segments counts runs of records whose sequence never goes down
	// (one per task or work item sharing the buffer).
	Segments int64  `json:"segments"`
	FirstSeq uint32 `json:"first_seq"`
	LastSeq  uint32 `json:"last_seq"`

	// Problems holds the first few damage reports with their offsets.
	Problems []Problem `json:"problems,omitempty"`
}

// Problem is one place where a buffer did not hold what was expected.
type Problem struct {
	Offset int64  `json:"offset"` // word index, word 0 being the counter
	Msg    string `json:"msg"`
}

func (p Problem) String() string { return fmt.Sprintf("word %d: %s", p.Offset, p.Msg) }

// maxProblems bounds the memory a hostile buffer can make us spend on
// reports; the counters still count everything.
const maxProblems = 8

// MarshalText lets a Layout read "A", "B" or "?" in JSON.
func (l Layout) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// Check verifies the accounting's invariants: every counted word is in
// a record, damaged, torn, or missing from the file.
func (s *Stats) Check() error {
	if s.Entries+s.Rets+s.Cmps != s.Records {
		return fmt.Errorf("records %d != entries %d + rets %d + cmps %d", s.Records, s.Entries, s.Rets, s.Cmps)
	}
	if s.Records > 0 && s.Segments < 1 {
		return fmt.Errorf("%d records in no segment", s.Records)
	}
	if s.CounterValid && s.RecordWords+s.DamagedWords+s.TornWords+s.MissingWords != int64(s.Words) {
		return fmt.Errorf("counted words %d != record words %d + damaged %d + torn %d + missing %d",
			s.Words, s.RecordWords, s.DamagedWords, s.TornWords, s.MissingWords)
	}
	if s.Capacity != 0 && s.CounterValid && int64(s.Words)+1 > s.Capacity {
		return fmt.Errorf("counter %d exceeds capacity %d", s.Words, s.Capacity)
	}
	return nil
}

// LooksLikeBuffer reports, once decoding is done, whether the input was
// a kcov_dataflow buffer at all; if not, a *FormatError says why. The
// decoder reads any bytes as a buffer and counts what does not decode as
// damage, which is right for a damaged buffer and wrong for a README:
// its first word reads as a counter of 7e18 words, and the accounting
// of that is noise. A buffer, however damaged, holds a valid record, or
// a counter that fits the file (an empty buffer's 0, a torn record's
// few words); text, executables and random bytes hold neither, as the
// first 8 bytes of text always make a counter above 2^56. So: no record
// and a counter above the kernel's maximum or beyond the end of the
// file is not a buffer. A caller that reads files a user named (kdf
// tree, kdf inspect) says so instead of printing such accounting.
func (s *Stats) LooksLikeBuffer() error {
	var msg string
	switch {
	case s.Records > 0:
		return nil
	case !s.CounterValid:
		msg = fmt.Sprintf("it reads as a counter of %#x words, above the %d a buffer holds", s.Words, MaxBufferWords-1)
	case s.MissingWords > 0:
		msg = fmt.Sprintf("it counts %d words where the file holds %d", s.Words, s.FileWords-1)
	default:
		return nil
	}
	return &FormatError{File: s.Path, Msg: "not a kcov_dataflow buffer: " + msg + ", and no word of the file starts a record of layout A or B"}
}

// FormatError reports input that cannot be decoded at all, naming the
// file and the word offset.
type FormatError struct {
	File   string
	Offset int64 // word index
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s: word %d: %s", e.File, e.Offset, e.Msg)
}
