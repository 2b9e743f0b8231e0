-- Lists of open duties are read in due order (ORDER BY due, id) and cut
-- short (LIMIT). These indexes hold them in exactly that order, so a list
-- reads its first rows and stops, instead of sorting every open duty: with
-- ten years of one large authority (350,000 open duties) "overdue duties"
-- without a role filter took a second and now takes milliseconds.
-- The role index gains `id` too: otherwise the authority index, now in
-- exact list order, would be preferred for "my overdue duties" and scan
-- past every other role's duties.
DROP INDEX duties_open_by_role;
CREATE INDEX duties_open_by_role ON duties (authority, by_role, due, id) WHERE state IN ('due', 'overdue', 'upcoming');
DROP INDEX duties_open_by_authority;
CREATE INDEX duties_open_by_authority ON duties (authority, due, id) WHERE state IN ('due', 'overdue', 'upcoming');
-- Across every authority (a police force serving several, the home page).
CREATE INDEX duties_open_by_due ON duties (due, id) WHERE state IN ('due', 'overdue', 'upcoming');
