//go:build !unix

package part

import "time"

// cpuTime is unknown here: the rows/cpu-s metric comes out negative.
func cpuTime() time.Duration { return -1 }
