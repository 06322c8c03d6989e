package symbolize

import "errors"

// DefaultLinkText is the link-time address of _text in an x86_64 kernel
// (__START_KERNEL_map + the default CONFIG_PHYSICAL_START of 16 MiB).
// KASLROffset uses it when no System.map is given; kernels linked
// elsewhere, and other architectures, need their System.map.
const DefaultLinkText uint64 = 0xffffffff81000000

// KASLROffset returns the boot's KASLR offset: runtime's _text minus
// linkTime's _text, or minus DefaultLinkText when linkTime is nil. The
// difference wraps like the kernel's unsigned arithmetic; add it to a
// link-time address to get the runtime one. The error wraps ErrNoText
// and names the file when a table lacks _text.
func KASLROffset(runtime, linkTime *Table) (uint64, error) {
	if runtime == nil {
		return 0, errors.New("symbolize: no kallsyms snapshot to take the KASLR offset from")
	}
	rt, err := textAddr(runtime)
	if err != nil {
		return 0, err
	}
	link := DefaultLinkText
	if linkTime != nil {
		if link, err = textAddr(linkTime); err != nil {
			return 0, err
		}
	}
	return rt - link, nil
}

func textAddr(t *Table) (uint64, error) {
	a, ok := t.Addr("_text")
	if !ok || a == 0 {
		return 0, &Error{Format: t.Format, File: t.Name, Err: ErrNoText,
			Msg: "no _text symbol, so the KASLR offset is unknown; give it (kdf --kaslr-offset), or a complete snapshot"}
	}
	return a, nil
}
