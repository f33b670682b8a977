-- Reference data maintained in the project (warehouse/reference/*.csv) and loaded by
-- `infopositie warehouse migrate`. Validity dates let a gemeente move to another basisteam
-- (or merge) without rewriting history.
create table if not exists reference.gemeenten (
    gemeentecode      text    not null check (gemeentecode ~ '^GM[0-9]{4}$'),
    gemeentenaam      text    not null,
    provincie         text    not null,
    veiligheidsregio  text    not null,
    district          text    not null,
    basisteam_code    text    not null,
    basisteam_naam    text    not null,
    inwoners_circa    integer,
    district_verified boolean not null,
    geldig_van        date    not null,
    geldig_tot        date,                    -- exclusive; null = still valid
    primary key (gemeentecode, geldig_van),
    check (geldig_tot is null or geldig_tot > geldig_van)
);

-- Codes of municipalities that no longer exist, mapped to the municipality that absorbed them.
create table if not exists reference.gemeentecode_mapping (
    oude_code    text not null primary key check (oude_code ~ '^GM[0-9]{4}$'),
    oude_naam    text not null,
    nieuwe_code  text not null check (nieuwe_code ~ '^GM[0-9]{4}$'),
    per_datum    date not null,
    toelichting  text
);

grant usage on schema reference to loader, transformer;
grant select on all tables in schema reference to loader, transformer;
