package webhook

import (
	"maps"
	"sync"
)

// Outcomes of a delivery attempt, the label of the delivery counters.
const (
	// OutcomeDelivered is an attempt the endpoint answered with 2xx.
	OutcomeDelivered = "delivered"
	// OutcomeFailed is an attempt that failed and will be retried.
	OutcomeFailed = "failed"
	// OutcomeDeadLetter is an event given up on and kept as a dead
	// letter.
	OutcomeDeadLetter = "dead_letter"
	// OutcomeSkipped is an event the endpoint does not subscribe to.
	OutcomeSkipped = "skipped"
	// OutcomeBreakerOpen counts the openings of the circuit breaker.
	OutcomeBreakerOpen = "breaker_open"
)

// Metrics counts deliveries by endpoint and outcome.
type Metrics struct {
	// OnAdd, if set, is called with every outcome counted, e.g. to feed
	// a Prometheus counter; it must not block.
	OnAdd func(endpoint, outcome string)

	mu sync.Mutex
	n  map[[2]string]int64
}

// Add counts one outcome of endpoint.
func (m *Metrics) Add(endpoint, outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == nil {
		m.n = map[[2]string]int64{}
	}
	m.n[[2]string{endpoint, outcome}]++
	if m.OnAdd != nil {
		m.OnAdd(endpoint, outcome)
	}
}

// Get returns the count of an outcome of endpoint.
func (m *Metrics) Get(endpoint, outcome string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n[[2]string{endpoint, outcome}]
}

// Snapshot returns every count, by endpoint and outcome.
func (m *Metrics) Snapshot() map[[2]string]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.n)
}
