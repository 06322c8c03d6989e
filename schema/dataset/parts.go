package dataset

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kdf-tools/kdf/schema"
)

// Part is a committed part file of the dataset.
type Part struct {
	Table    string
	Campaign string
	Name     string // part-<commit>-<writer>-<k>.parquet
	Commit   int64
	Writer   string
	Size     int64
	Path     string // absolute
}

func (p Part) ref() partRef { return partRef{Table: p.Table, Campaign: p.Campaign, Name: p.Name} }

// Rel is the part's path relative to the dataset directory.
func (p Part) Rel() string { return p.ref().rel() }

// Snapshot is what the dataset holds at one moment: its committed parts,
// found by listing the table directories. The directory is the truth; the
// ledger only says which files there are not (yet, or any longer) part of
// it: those of an intent still pending, and those a finished commit
// replaced but whose removal a crash interrupted.
type Snapshot struct {
	// Last is the highest commit number used so far.
	Last  int64
	parts []Part // sorted by table, campaign, commit, name
}

// Snapshot lists the dataset. Its cost grows with the number of part
// files, never with the number of inputs or commits the dataset has
// seen.
func (d *Dataset) Snapshot() (*Snapshot, error) {
	// A commit may land between reading the ledger and listing the
	// files: its parts would be skipped as too new while the parts it
	// replaces are gone already. The listing is taken again until the
	// ledger did not move under it.
	st, err := d.readLedger()
	for try := 0; err == nil; try++ {
		var s *Snapshot
		if s, err = d.list(st); err != nil {
			break
		}
		again, err := d.readLedger()
		if err != nil {
			return nil, err
		}
		if again.last == st.last && slices.Equal(again.pending, st.pending) {
			return s, nil
		}
		if try == maxListTries {
			return nil, fmt.Errorf("dataset: %s: %d commits landed while it was listed: try again", d.root, try)
		}
		st = again
	}
	return nil, err
}

// maxListTries bounds Snapshot's retries; each follows a commit.
const maxListTries = 100

func (d *Dataset) list(st *ledgerState) (*Snapshot, error) {
	hidden := map[string]bool{}
	for _, e := range st.commits {
		for _, p := range e.Remove {
			hidden[p.rel()] = true
		}
	}
	pending := map[int64]bool{}
	for _, n := range st.pending {
		pending[n] = true
	}
	s := &Snapshot{Last: st.last}
	defer func() {
		// Parts of a commit that landed after the ledger was read are
		// not listed (Snapshot reads again), unless the ledger holds no
		// commit at all: one moved aside because it was damaged. The
		// parts, the truth, then say how far the commits went.
		if len(st.commits) > 0 {
			s.parts = slices.DeleteFunc(s.parts, func(p Part) bool { return p.Commit > st.last })
		}
		for _, p := range s.parts {
			s.Last = max(s.Last, p.Commit)
		}
	}()
	for _, t := range schema.All {
		if !d.realDir(t.Name) {
			continue // missing, or a link planted in the dataset: never read through
		}
		dirs, err := readDirNames(filepath.Join(d.root, t.Name))
		if err != nil {
			return nil, err
		}
		for _, dir := range dirs {
			campaign, ok := strings.CutPrefix(dir, "campaign=")
			if !ok || CheckCampaign(campaign) != nil || !d.realDir(filepath.Join(t.Name, dir)) {
				continue
			}
			if err := d.listPartition(s, t.Name, campaign, hidden, pending); err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(s.parts, func(a, b Part) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Campaign, b.Campaign),
			cmp.Compare(a.Commit, b.Commit), cmp.Compare(a.Name, b.Name))
	})
	return s, nil
}

func (d *Dataset) listPartition(s *Snapshot, table, campaign string, hidden map[string]bool, pending map[int64]bool) error {
	dir := filepath.Join(d.root, table, "campaign="+campaign)
	entries, err := readDirEntries(dir)
	if err != nil {
		return err
	}
	for _, de := range entries {
		n, writer, ok := parsePartName(de.Name())
		if !ok || !de.Type().IsRegular() || pending[n] {
			continue
		}
		p := Part{Table: table, Campaign: campaign, Name: de.Name(), Commit: n, Writer: writer,
			Path: filepath.Join(dir, de.Name())}
		if hidden[p.Rel()] {
			continue
		}
		if fi, err := de.Info(); err == nil {
			p.Size = fi.Size()
		}
		s.parts = append(s.parts, p)
	}
	return nil
}

// Parts returns the committed parts of a table, of every campaign.
func (s *Snapshot) Parts(table string) []Part {
	lo, _ := slices.BinarySearchFunc(s.parts, table, func(p Part, t string) int { return cmp.Compare(p.Table, t) })
	hi := lo
	for hi < len(s.parts) && s.parts[hi].Table == table {
		hi++
	}
	return s.parts[lo:hi]
}

// Campaign returns the committed parts of a table in one campaign.
func (s *Snapshot) Campaign(table, campaign string) []Part {
	var out []Part
	for _, p := range s.Parts(table) {
		if p.Campaign == campaign {
			out = append(out, p)
		}
	}
	return out
}

// Paths returns the absolute paths of a table's committed parts.
func (s *Snapshot) Paths(table string) []string {
	ps := s.Parts(table)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Path
	}
	return out
}

// Campaigns returns the campaigns that have parts, sorted.
func (s *Snapshot) Campaigns() []string {
	var out []string
	for _, p := range s.parts {
		out = append(out, p.Campaign)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Since returns the parts committed after commit n.
func (s *Snapshot) Since(n int64) []Part {
	var out []Part
	for _, p := range s.parts {
		if p.Commit > n {
			out = append(out, p)
		}
	}
	return out
}
