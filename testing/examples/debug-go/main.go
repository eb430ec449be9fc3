// devloop's debug-go example: a tiny HTTP server to debug with Delve under
// `devloop debug`. Standard library only.
package main

import (
	"fmt"
	"log"
	"net/http"
	"sync/atomic"
)

var requests atomic.Int64

// greeting is a good place for a breakpoint: it runs once per request.
func greeting(n int64) string {
	return fmt.Sprintf("Hello from Go (debug-go), request %d\n", n)
}

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, greeting(requests.Add(1)))
	})
	log.Print("debug-go listening on :8080")
	log.Fatal(http.ListenAndServe(":8080", nil))
}
