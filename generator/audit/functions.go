package audit

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// quantityFunc declares quantity(string) -> double: a Kubernetes resource
// quantity ("250m", "128Mi", "1") as a number, so rules can compare a
// request with its limit. A malformed quantity is an evaluation error.
func quantityFunc() cel.EnvOption {
	return cel.Function("quantity",
		cel.Overload("quantity_string", []*cel.Type{cel.StringType}, cel.DoubleType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				s, ok := v.(types.String)
				if !ok {
					return types.NewErr("quantity: want a string")
				}
				q, err := parseQuantity(string(s))
				if err != nil {
					return types.NewErr("%s", err.Error())
				}
				return types.Double(q)
			})))
}

var quantitySuffixes = []struct {
	suffix string
	factor float64
}{
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}, {"Pi", 1 << 50}, {"Ei", 1 << 60},
	{"n", 1e-9}, {"u", 1e-6}, {"m", 1e-3}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}, {"E", 1e18},
}

// parseQuantity reads a Kubernetes quantity: a decimal number with an
// optional binary or decimal SI suffix.
func parseQuantity(s string) (float64, error) {
	num, factor := s, 1.0
	for _, q := range quantitySuffixes {
		if n, ok := strings.CutSuffix(s, q.suffix); ok {
			num, factor = n, q.factor
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || strings.ContainsAny(num, "eE") {
		return 0, fmt.Errorf("quantity: %q is not a resource quantity", s)
	}
	return f * factor, nil
}
