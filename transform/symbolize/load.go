package symbolize

import (
	"io"
	"os"
)

// LoadKallsyms parses the kallsyms snapshot in the file at path; an
// empty path is no table (nil, nil).
func LoadKallsyms(path string) (*Table, error) { return load(path, ParseKallsyms) }

// LoadSystemMap parses the System.map at path; an empty path is no
// table (nil, nil).
func LoadSystemMap(path string) (*Table, error) { return load(path, ParseSystemMap) }

func load(path string, parse func(io.Reader, string) (*Table, error)) (*Table, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parse(f, path)
}
