package recovery_test

import (
	"os/exec"
	"testing"
)

// TestModuleVetsAndBuilds keeps the example programs and every package compiling and vet-clean,
// so `go test ./...` (what `make test` runs) fails on a broken build anywhere in the module.
func TestModuleVetsAndBuilds(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}} {
		cmd := exec.Command(goBin, args...)
		cmd.Dir = "."
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("go %v: %v\n%s", args, err, out)
		}
	}
}
