package source

import "testing"

func TestName(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"campaign", "campaign"},
		{"demo/campaign", "campaign"},
		{"/mnt/a/campaign/", "campaign"},
		{"../campaign", "campaign"},
		{"campaign.tar.zst", "campaign"},
		{"/data/campaign.tgz", "campaign"},
		{"camp/arm=a/trial=1", "camp/arm=a/trial=1"},
		{"/x/y/camp/arm=a/trial=1", "camp/arm=a/trial=1"},
		{"/x/camp/arm=b.tar.zst", "camp/arm=b"},
		{"arm=a/trial=2", "arm=a/trial=2"},
		{"/arm=a", "arm=a"},
		{"boot=1/prog-000001.kcdf", "prog-000001.kcdf"},
		{".", "."},
		{"/", "."},
	} {
		if got := Name(tc.src); got != tc.want {
			t.Errorf("Name(%q) = %q, want %q", tc.src, got, tc.want)
		}
	}
}
