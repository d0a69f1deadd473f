-- Placeholder: migration 0002 belongs to another change (lifecycle) that is
-- merged separately; this file only keeps the numbers gap-free on this
-- branch. Whoever merges both keeps that change's 0002 and deletes this one.
SELECT 1;
