-- Searches of one or two characters, which pg_trgm cannot index (a trigram needs three), get an index of
-- their own, as SQLite's questions_search_short (drizzle/0009): each question's text, lowercased, as the
-- set of its characters and of its pairs of adjacent characters (a GIN index on this array, in the next
-- migration). "ed" is then one key of that index instead of an ILIKE over every row.
CREATE FUNCTION polls_short_grams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(l, i, n)), '{}')
  FROM (SELECT lower(t) AS l) s, generate_series(1, char_length(l)) i, (VALUES (1), (2)) v(n)
  WHERE i + n - 1 <= char_length(l)
$$;
--> statement-breakpoint
-- What a search of one or two characters must find among those keys. ILIKE is lower(text) LIKE
-- lower(search), so the lowered search itself is a key of every text it matches; should lowering lengthen
-- it past two characters (it does not with libc's case mapping), all of its characters and pairs are
-- still keys of each match. The ILIKE stays beside it, so either way the matches are exactly ILIKE's.
CREATE FUNCTION polls_short_search(s text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN char_length(lower(s)) <= 2 THEN ARRAY[lower(s)] ELSE polls_short_grams(s) END
$$;
