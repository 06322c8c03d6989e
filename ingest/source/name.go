package source

import (
	"path/filepath"
	"strings"
)

// archiveExts are the endings of the archives a source can be, longest
// first.
var archiveExts = []string{".tar.zst", ".tar.gz", ".tzst", ".tgz", ".tar"}

// Name is the name a source goes by in the dataset: its base name, with
// an archive's ending dropped, after the key=value directories above it
// that give attributes, and the first directory above those. It
// identifies the source wherever it lies: /mnt/a/campaign and
// ../campaign are both "campaign", an archive and its extraction are the
// same source, and camp/arm=a/trial=1 is told from camp/arm=b/trial=1.
// Machine-specific directories stay out of the dataset.
func Name(src string) string {
	var segs []string
	for _, s := range strings.Split(filepath.ToSlash(filepath.Clean(src)), "/") {
		if s == "" || s == "." || s == ".." {
			continue
		}
		for _, ext := range archiveExts {
			if t, ok := strings.CutSuffix(s, ext); ok && t != "" {
				s = t
				break
			}
		}
		segs = append(segs, s)
	}
	if len(segs) == 0 {
		return "."
	}
	i := len(segs) - 1
	for i > 0 && strings.Contains(segs[i], "=") {
		i--
	}
	return strings.Join(segs[i:], "/")
}
