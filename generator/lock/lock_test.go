package lock

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// A child process started by TestHolderKilled runs this instead of the
// tests: it takes the lock, says so, and holds it until it is killed (or
// its parent goes away and its standard input ends).
func TestMain(m *testing.M) {
	if path := os.Getenv("SECGEN_LOCK_TEST_HOLD"); path != "" {
		if _, err := Acquire(path); err != nil {
			os.Stdout.WriteString("error: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("locked\n")
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestAcquireRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	l, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock holds %q, want this pid %d", got, os.Getpid())
	}

	_, err = Acquire(path)
	var held *HeldError
	if !errors.Is(err, ErrLocked) || !errors.As(err, &held) {
		t.Fatalf("second Acquire: %v, want ErrLocked", err)
	}
	if held.PID != os.Getpid() || held.Stale {
		t.Errorf("HeldError = %+v, want pid %d, live", held, os.Getpid())
	}
	if !strings.Contains(err.Error(), strconv.Itoa(os.Getpid())) {
		t.Errorf("message %q does not name the holder", err)
	}

	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file still there after Release: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	l2, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	if err := l2.Release(); err != nil {
		t.Fatal(err)
	}
}

func TestAcquireMissingDirectory(t *testing.T) {
	_, err := Acquire(filepath.Join(t.TempDir(), "missing", FileName))
	if err == nil || errors.Is(err, ErrLocked) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Acquire in a missing directory: %v", err)
	}
}

// A lock file left behind by a crashed run (nobody holds flock on it) is
// broken and taken.
func TestStaleLockIsBroken(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(path, []byte("999999999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Acquire(path)
	if err != nil {
		t.Fatalf("stale lock not broken: %v", err)
	}
	defer l.Release()
	b, _ := os.ReadFile(path)
	if strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock holds %q after breaking", b)
	}
}

// A lock whose holder is killed with SIGKILL (no chance to release) is
// refused while the holder lives and taken once it is dead.
func TestHolderKilled(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SECGEN_LOCK_TEST_HOLD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe() // held open: the child holds the lock until killed
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("child: %q, %v", line, err)
	}

	_, err = Acquire(path)
	var held *HeldError
	if !errors.As(err, &held) || held.PID != cmd.Process.Pid {
		t.Fatalf("Acquire while the child holds the lock: %v, want held by pid %d", err, cmd.Process.Pid)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the killed child's lock file should still be there: %v", err)
	}
	l, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire after the holder died: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}

// Many runs racing for one lock, while crashed runs keep leaving stale lock
// files, never hold it two at a time.
func TestMutualExclusionUnderContention(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	var (
		holders  atomic.Int32
		acquired atomic.Int32
		wg       sync.WaitGroup
		stop     = make(chan struct{})
	)
	for range 6 {
		wg.Go(func() {
			for range 300 {
				l, err := Acquire(path)
				if errors.Is(err, ErrLocked) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				if n := holders.Add(1); n != 1 {
					t.Errorf("%d holders at once", n)
				}
				acquired.Add(1)
				time.Sleep(10 * time.Microsecond)
				holders.Add(-1)
				if err := l.Release(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	crasher := make(chan struct{})
	go func() {
		defer close(crasher)
		for {
			select {
			case <-stop:
				return
			default:
			}
			// A run that dies right after creating its lock file.
			if f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
				_ = f.Close()
			}
			time.Sleep(50 * time.Microsecond)
		}
	}()
	wg.Wait()
	close(stop)
	<-crasher
	if acquired.Load() == 0 {
		t.Fatal("nobody ever got the lock")
	}
	t.Logf("%d acquisitions", acquired.Load())
}

// TestPlantedLinkOrFIFOIsRefusedWithoutBlocking plants a symbolic link and
// a FIFO where the lock goes: Acquire must refuse both promptly.
func TestPlantedLinkOrFIFOIsRefusedWithoutBlocking(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link.lock")
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), link); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(link); err == nil {
		t.Fatal("took a lock through a symbolic link")
	}
	fifo := filepath.Join(dir, "fifo.lock")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Acquire(fifo); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("took a lock on a FIFO")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Acquire blocked on a FIFO")
	}
}
