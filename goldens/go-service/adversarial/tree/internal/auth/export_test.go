package auth

import "time"

// SetClock replaces the key set's clock (tests only).
func (k *KeySet) SetClock(now func() time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.now = now
}
