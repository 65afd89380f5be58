"""What a synthetic network is made of: domains, places, kinds of unit, observation texts."""

from __future__ import annotations

import numpy as np

DOMAINS = [
    ("1", "miljo-og-fasiliteter", "Miljø og fasiliteter", "Environment and facilities", 30),
    ("2", "bemanning-og-opplaering", "Bemanning og opplæring", "Staffing and training", 32),
    ("3", "innleggelse-og-utskriving", "Innleggelse og utskriving", "Admission and discharge", 34),
    ("4", "behandling-og-omsorg", "Behandling og omsorg", "Treatment and care", 48),
    (
        "5",
        "informasjon-samtykke-og-taushetsplikt",
        "Informasjon, samtykke og taushetsplikt",
        "Information, consent and confidentiality",
        28,
    ),
    ("6", "rettigheter-og-lovverket", "Rettigheter og lovverket", "Rights and legislation", 28),
    ("7", "klinisk-virksomhetsstyring", "Klinisk virksomhetsstyring", "Clinical governance", 28),
]
DUTIES = [f"6{c}" for c in "abcdefg"] + [f"7{c}" for c in "abcde"] + [f"8{c}" for c in "abcdef"]
DUTIES += [f"9{c}" for c in "abc"]
REGIONS = [("Sør-Øst", 0.45), ("Vest", 0.22), ("Midt-Norge", 0.15), ("Nord", 0.18)]
KINDS = [
    ("general", 0.45),
    ("acute", 0.25),
    ("specialised", 0.15),
    ("forensic", 0.07),
    ("outpatient", 0.08),
]
KIND_NAMES = {
    "general": "Døgnpost barn og unge",
    "acute": "Akuttpost ungdom",
    "specialised": "Regional spesialpost",
    "forensic": "Sikkerhetspost",
    "outpatient": "Dagenhet",
}
PLACES = [
    "Fjordvik",
    "Nordlia",
    "Sørstrand",
    "Innlandet",
    "Midtbyen",
    "Kystlandet",
    "Østmark",
    "Fjellheim",
    "Elvedal",
    "Solberg",
    "Havnevik",
    "Lyngmo",
    "Bjørkly",
    "Eikeland",
    "Furuset",
    "Granli",
    "Haugen",
    "Kleiva",
    "Lia",
    "Moen",
    "Nesset",
    "Oddevik",
    "Rustad",
    "Skogli",
    "Tveit",
    "Vik",
    "Åsen",
    "Øyane",
    "Breivik",
    "Dalen",
]
TOPICS = {
    "1": [
        "skjerming og fellesarealer",
        "vedlikehold av de fysiske omgivelsene",
        "tilgang til uteområder",
    ],
    "2": ["opplæring av nyansatte", "veiledning av personalet", "bemanning på kveld og natt"],
    "3": ["innkomstsamtalen", "utskrivingsplanlegging", "samarbeidet med kommunen ved utskriving"],
    "4": [
        "individuelle behandlingsplaner",
        "miljøterapeutisk arbeid",
        "oppfølging av somatisk helse",
    ],
    "5": ["informasjon til foreldre", "samtykke til behandling", "taushetsplikt overfor skolen"],
    "6": ["vedtak om tvang", "klageretten", "etterkontroll etter bruk av tvang"],
    "7": ["avvikshåndtering", "kvalitetsforbedringsarbeidet", "brukerundersøkelser"],
}
GOOD = [
    "Posten har en godt innarbeidet rutine for {t}, som alle ansatte vi snakket med kjente godt.",
    "Ungdommene beskrev {t} som trygt og forutsigbart.",
    "Tydelig skriftlig prosedyre for {t}, som evalueres jevnlig i personalmøtene.",
    "Brukerrådet har vært med på å utforme {t}, og det merkes i hverdagen.",
    "Faste refleksjonsmøter om {t} gir felles praksis på tvers av vaktlagene.",
]
IMPROVE = [
    "Rutinen for {t} er ikke kjent av alle ansatte.",
    "Dokumentasjonen av {t} var mangelfull i journalene teamet gikk gjennom.",
    "Foreldrene savnet informasjon om {t}.",
    "Det er ulik praksis for {t} mellom vaktlagene.",
]
RECOMMEND = [
    "Vurder en felles sjekkliste for {t}.",
    "Involver ungdomsrådet når rutinen for {t} revideres.",
    "Del erfaringene med {t} med de andre postene i nettverket.",
]
VALUES = np.array(["not_met", "partly_met", "met", "not_applicable"], dtype=object)
PASSWORD = "demo-password"
