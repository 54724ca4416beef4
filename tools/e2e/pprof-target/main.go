// A Go program that serves net/http/pprof on the address given as its only
// argument and keeps busy, so that scraping it yields non-empty CPU, memory,
// goroutine, mutex and block profiles. Built and started by Kiln's
// end-to-end tests (Tests/KilnServerTests/ScrapeEndToEndTests.swift).
package main

import (
	"crypto/sha256"
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"sync"
	"time"
)

var sink []byte

// burn hashes in a loop: the CPU profile's hottest function.
func burn() {
	buf := make([]byte, 4096)
	for {
		for i := 0; i < 256; i++ {
			sum := sha256.Sum256(buf)
			buf[0] = sum[0]
		}
		runtime.Gosched()
	}
}

// allocate keeps allocating, for the allocs profile.
func allocate() {
	for {
		sink = make([]byte, 64<<10)
		time.Sleep(time.Millisecond)
	}
}

// contend fights over a mutex, for the mutex and block profiles.
func contend(mu *sync.Mutex) {
	for {
		mu.Lock()
		time.Sleep(200 * time.Microsecond)
		mu.Unlock()
	}
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: pprof-target 127.0.0.1:PORT")
	}
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)
	go burn()
	go allocate()
	var mu sync.Mutex
	for i := 0; i < 4; i++ {
		go contend(&mu)
	}
	log.Fatal(http.ListenAndServe(os.Args[1], nil))
}
