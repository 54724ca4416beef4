// A Go program whose heap profile holds stacks the runtime cut at its
// depth limit (32 frames before Go 1.23): allocations at the ends of call
// chains 22 to 46 functions deep (testdata/README.md, go-heap-truncated).
//
//	go run . > heap.pb.gz
package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

var sink [][]byte

// depth is how many more chain functions to call before allocating.
var depth int

//go:noinline
func alloc() { sink = append(sink, make([]byte, 4096)) }

//go:noinline
func f0() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f1()
}

//go:noinline
func f1() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f2()
}

//go:noinline
func f2() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f3()
}

//go:noinline
func f3() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f4()
}

//go:noinline
func f4() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f5()
}

//go:noinline
func f5() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f6()
}

//go:noinline
func f6() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f7()
}

//go:noinline
func f7() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f8()
}

//go:noinline
func f8() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f9()
}

//go:noinline
func f9() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f10()
}

//go:noinline
func f10() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f11()
}

//go:noinline
func f11() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f12()
}

//go:noinline
func f12() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f13()
}

//go:noinline
func f13() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f14()
}

//go:noinline
func f14() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f15()
}

//go:noinline
func f15() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f16()
}

//go:noinline
func f16() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f17()
}

//go:noinline
func f17() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f18()
}

//go:noinline
func f18() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f19()
}

//go:noinline
func f19() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f20()
}

//go:noinline
func f20() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f21()
}

//go:noinline
func f21() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f22()
}

//go:noinline
func f22() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f23()
}

//go:noinline
func f23() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f24()
}

//go:noinline
func f24() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f25()
}

//go:noinline
func f25() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f26()
}

//go:noinline
func f26() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f27()
}

//go:noinline
func f27() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f28()
}

//go:noinline
func f28() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f29()
}

//go:noinline
func f29() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f30()
}

//go:noinline
func f30() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f31()
}

//go:noinline
func f31() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f32()
}

//go:noinline
func f32() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f33()
}

//go:noinline
func f33() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f34()
}

//go:noinline
func f34() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f35()
}

//go:noinline
func f35() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f36()
}

//go:noinline
func f36() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f37()
}

//go:noinline
func f37() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f38()
}

//go:noinline
func f38() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f39()
}

//go:noinline
func f39() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f40()
}

//go:noinline
func f40() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f41()
}

//go:noinline
func f41() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f42()
}

//go:noinline
func f42() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f43()
}

//go:noinline
func f43() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f44()
}

//go:noinline
func f44() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f45()
}

//go:noinline
func f45() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f46()
}

//go:noinline
func f46() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	f47()
}

//go:noinline
func f47() {
	if depth == 0 {
		alloc()
		return
	}
	depth--
	alloc()
}

func main() {
	runtime.MemProfileRate = 1
	for _, d := range []int{20, 22, 26, 30, 34, 38, 44} {
		for i := 0; i < 8; i++ {
			depth = d
			f0()
		}
	}
	runtime.GC()
	if err := pprof.Lookup("allocs").WriteTo(os.Stdout, 0); err != nil {
		panic(err)
	}
}
