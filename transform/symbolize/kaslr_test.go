package symbolize

import (
	"errors"
	"strings"
	"testing"
)

func TestKASLROffset(t *testing.T) {
	boot0 := loadFixture(t, "boot0.kallsyms")
	sysmap := loadFixture(t, "System.map")
	noText, err := ParseKallsyms(strings.NewReader("ffffffffab2c8a00 T vfs_write\n"), "boot1/kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	low, err := ParseSystemMap(strings.NewReader("ffffffffac000000 T _text\n"), "odd/System.map")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name              string
		runtime, linkTime *Table
		want              uint64
		err               string // "" for none
	}{
		{"with System.map", boot0, sysmap, boot0Offset, ""},
		{"default link-time _text", boot0, nil, boot0Offset, ""},
		{"wraps below link-time", boot0, low, 0xffffffffff000000, ""}, // -16 MiB,
		{"no _text at runtime", noText, sysmap, 0, "kallsyms: boot1/kallsyms: no _text symbol"},
		{"no _text at link time", boot0, noText, 0, "kallsyms: boot1/kallsyms: no _text symbol"},
		{"no runtime table", nil, sysmap, 0, "symbolize: no kallsyms snapshot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := KASLROffset(tt.runtime, tt.linkTime)
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %s...", err, tt.err)
				}
				if tt.runtime != nil && !errors.Is(err, ErrNoText) {
					t.Errorf("err = %v does not wrap ErrNoText", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("KASLROffset = %#x, %v; want %#x", got, err, tt.want)
			}
		})
	}
}
