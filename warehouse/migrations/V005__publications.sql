-- The platform's own publication log: one row per local information picture (the document per
-- gemeente and quarter) handed to a basisteam-driehoek. The document renderer writes it (as
-- loader); year-plan goal 1 ("every basisteam-driehoek discusses a local information picture at
-- least twice a year") is measured from it in dbt (source platform.publications), so the
-- platform reports on its own use instead of relying on a count kept by hand.
create table if not exists audit.publications (
    publication_id  bigint      generated always as identity primary key,
    gemeentecode    text        not null check (gemeentecode ~ '^GM[0-9]{4}$'),
    -- As it was when published: a later move of the gemeente must not rewrite who received what.
    basisteam_code  text        not null,
    periode         text        not null check (periode ~ '^[0-9]{4}-Q[1-4]$'),   -- the quarter the picture covers
    jaar            integer     generated always as (substr(periode, 1, 4)::integer) stored,
    kwartaal        integer     generated always as (substr(periode, 7, 1)::integer) stored,
    published_at    timestamptz not null default now(),
    document        text        not null,                                        -- key or path of the rendered document
    sha256          text,                                                        -- of the document as handed out
    actor           text        not null default current_user
);
create index if not exists publications_basisteam on audit.publications (basisteam_code, published_at);

grant select, insert on audit.publications to loader;
grant select on audit.publications to transformer;
