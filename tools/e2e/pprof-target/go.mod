module kiln.test/pprof-target

go 1.19
