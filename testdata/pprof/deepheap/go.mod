module deepheap

go 1.19
