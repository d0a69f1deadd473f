package pgddl

import (
	"fmt"
	"strings"

	"github.com/pbregistry/pbregistry/lakehouse"
)

// enumStatement returns the CREATE OR REPLACE FUNCTION of c's enum
// reader: a name reads as itself (an old name of a renamed value as the
// current name), a number as the current name of its value, an unknown
// number as its decimal text.
func (n names) enumStatement(c *lakehouse.Column) Statement {
	var renamed, numbers strings.Builder
	for _, v := range c.Enum.Values {
		for _, old := range v.Names {
			if old != v.Name {
				fmt.Fprintf(&renamed, " WHEN %s THEN %s", literal(old), literal(v.Name))
			}
		}
		fmt.Fprintf(&numbers, "\n                   WHEN %d THEN %s", v.Number, literal(v.Name))
	}
	str := "j #>> '{}'"
	if renamed.Len() > 0 {
		str = fmt.Sprintf("CASE j #>> '{}'%s ELSE j #>> '{}' END", renamed.String())
	}
	to32 := n.helperPrefix() + "pbtable_to_int32(j)"
	sql := fmt.Sprintf(`CREATE OR REPLACE FUNCTION %s(j jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE jsonb_typeof(j)
         WHEN 'string' THEN %s
         WHEN 'number' THEN CASE %s%s
                   ELSE %s::text END
       END;`, n.qualified(n.enumFunc(c)), str, to32, numbers.String(), to32)
	return Statement{
		Comment: fmt.Sprintf("Enum %s as a name, for column %s: names and numbers of every version.\nAn unknown number reads as its decimal text. No table lock; replacing the\nfunction does not recompute stored columns.", c.Enum.FullName, c.Name),
		SQL:     sql,
	}
}
