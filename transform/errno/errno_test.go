package errno

import "testing"

func TestDescribe(t *testing.T) {
	tests := []struct {
		v    uint64
		size uint8
		want string
	}{
		{0xfffffff2, 4, "-EFAULT"},         // the seed's ffi_check_result
		{0xfffffffffffffff4, 8, "-ENOMEM"}, // an ERR_PTR(-ENOMEM)
		{0xfffffe00, 4, "-ERESTARTSYS"},    // kernel-internal
		{0xfffff001, 4, "-E4095"},          // the last errno value
		{0xfffff000, 4, ""},                // -4096 is no error
		{0xfffffff2, 8, ""},                // a positive 64-bit value
		{0x3f, 4, ""},
		{0, 4, ""},
		{0xff, 1, ""}, // -1 in a byte is a value, not an error
	}
	for _, tt := range tests {
		if got := Describe(tt.v, tt.size); got != tt.want {
			t.Errorf("Describe(%#x, %d) = %q, want %q", tt.v, tt.size, got, tt.want)
		}
	}
	if Name(22) != "EINVAL" || Name(133) != "EHWPOISON" || Name(41) != "E41" {
		t.Errorf("names: %s %s %s", Name(22), Name(133), Name(41))
	}
}
