package goservice

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// BenchmarkSessionLookupAcrossReplicas measures what a session costs on a
// replica other than the one that created it. Two processes of the first
// golden service with PostgreSQL and browser login run as their manifests
// configure them, sharing one PostgreSQL (TLS on 127.0.0.1) and a local
// issuer; a browser logs in on replica a. Each iteration GETs a note with
// the session cookie from replica a (same replica) and from replica b (the
// other one), alternately, and reports the p50 and p99 latency of each and
// the p50 the other replica adds. The "cold" variant first refreshes the
// session on replica a, so both lookups are the new session's first on
// their replica.
//
//	go test -run '^$' -bench SessionLookupAcrossReplicas -benchtime 2000x .
func BenchmarkSessionLookupAcrossReplicas(b *testing.B) {
	var tr *serviceTree
	for _, t := range serviceTrees(b) {
		if t.answers.Database == "postgres" && t.answers.OIDCLogin {
			tr = &t
			break
		}
	}
	if tr == nil {
		b.Fatal("no golden tree renders the postgres store with browser login")
	}
	d := deploy(b, *tr)
	// Every request comes from 127.0.0.1: lift the per-client rate limit
	// (the last value of a variable wins).
	env := append(d.env, "RATE_LIMIT=100000")
	a := startReplica(b, "replica a", d.bin, env, d.pod.readinessPath)
	other := startReplica(b, "replica b", d.bin, env, d.pod.readinessPath)
	user := browser{}
	signIn(b, user, d.caPEM, a, a) // the session is created on replica a
	resp := user.do(b, "POST", a.url+"/v1/notes", `{"title":"bench","body":"across replicas"}`)
	if resp.StatusCode != http.StatusCreated {
		b.Fatalf("create on replica a: %d\n%s", resp.StatusCode, a.output())
	}
	note := resp.Header.Get("Location")

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	get := func(r *replica) time.Duration {
		req, _ := http.NewRequest("GET", r.url+note, nil)
		req.AddCookie(&http.Cookie{Name: "__Host-session", Value: user["__Host-session"]})
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET on %s: %d\n%s", r.name, resp.StatusCode, r.output())
		}
		return took
	}
	measure := func(b *testing.B, cold bool) {
		var same, across []time.Duration
		for range b.N {
			if cold {
				b.StopTimer()
				if resp := user.do(b, "POST", a.url+"/auth/refresh", ""); resp.StatusCode != http.StatusNoContent {
					b.Fatalf("refresh on replica a: %d", resp.StatusCode)
				}
				b.StartTimer()
			}
			// Alternate which replica goes first, so neither always
			// finds the database's buffers warmer.
			if len(same)%2 == 0 {
				same = append(same, get(a))
				across = append(across, get(other))
			} else {
				across = append(across, get(other))
				same = append(same, get(a))
			}
		}
		p := func(d []time.Duration, q float64) float64 {
			slices.Sort(d)
			return float64(d[int(float64(len(d)-1)*q)].Microseconds())
		}
		b.ReportMetric(p(same, 0.5), "same-p50-µs")
		b.ReportMetric(p(same, 0.99), "same-p99-µs")
		b.ReportMetric(p(across, 0.5), "other-p50-µs")
		b.ReportMetric(p(across, 0.99), "other-p99-µs")
		b.ReportMetric(p(across, 0.5)-p(same, 0.5), "added-p50-µs")
	}
	b.Run("warm", func(b *testing.B) { measure(b, false) })
	b.Run("cold", func(b *testing.B) { measure(b, true) })
}
