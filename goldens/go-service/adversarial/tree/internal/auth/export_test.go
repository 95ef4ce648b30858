package auth

import "time"

// SetClock replaces the key set's clock (tests only).
func (k *KeySet) SetClock(now func() time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.now = now
}

// SetClock replaces the verifier's clock (tests only).
func (v *Verifier) SetClock(now func() time.Time) { v.now = now }

// SetRememberLimit replaces the bound of the verified-token cache (tests only).
func (v *Verifier) SetRememberLimit(n int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.limit = n
}

// Remembered returns the number of verified tokens the cache holds.
func (v *Verifier) Remembered() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.verified)
}
