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
		fmt.Fprintf(&numbers, "\n           WHEN %d THEN %s", v.Number, literal(v.Name))
	}
	str := "j #>> '{}'"
	if renamed.Len() > 0 {
		str = fmt.Sprintf("CASE j #>> '{}'%s ELSE j #>> '{}' END", renamed.String())
	}
	sql := fmt.Sprintf(`CREATE OR REPLACE FUNCTION %s(j jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $pbtable$
DECLARE
  n numeric;
BEGIN
  IF jsonb_typeof(j) = 'string' THEN
    RETURN %s;
  END IF;
  IF jsonb_typeof(j) IS DISTINCT FROM 'number' THEN
    RETURN NULL;
  END IF;
  n := j::numeric;
  IF n <> trunc(n) OR n NOT BETWEEN -2147483648 AND 2147483647 THEN
    RETURN NULL;
  END IF;
  RETURN CASE n::integer%s
           ELSE n::integer::text END;
END
$pbtable$;`, n.qualified(n.enumFunc(c)), str, numbers.String())
	return Statement{
		Comment: fmt.Sprintf("Enum %s as a name, for column %s: names and numbers of every version.\nAn unknown number reads as its decimal text. No table lock; replacing the\nfunction does not recompute stored columns.", c.Enum.FullName, c.Name),
		SQL:     sql,
	}
}
