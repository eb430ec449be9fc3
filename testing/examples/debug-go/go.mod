module devloop.dev/examples/debug-go

go 1.22
