/** Fictional name parts for the synthetic applicants and the sanctions list. */
export const givenNames = [
  "Amara", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiroshi", "Ines", "Jonas", "Kemal", "Lucia", "Mateo", "Nadia",
  "Oskar", "Priya", "Quentin", "Rosa", "Stefan", "Tamar", "Umar", "Vera", "Wiktor", "Ximena", "Yusuf", "Zofia", "Aleksandr", "Beatriz",
  "Ciaran", "Dalia", "Emeka", "Fatima", "Gustavo", "Hanna", "Ivan", "Jolanta", "Karim", "Leila", "Mikhail", "Noor",
];
export const familyNames = [
  "Abara", "Berg", "Castellano", "Dragomir", "Eriksen", "Ferreira", "Gallo", "Horvath", "Iwasaki", "Jansen", "Kowalski", "Lindqvist",
  "Moreau", "Novak", "Okafor", "Petrov", "Quispe", "Rahimi", "Santoro", "Takahashi", "Urbanek", "Varga", "Wojcik", "Yilmaz", "Zeller",
  "Almeida", "Bianchi", "Costa", "Demir", "Esposito", "Fischer", "Grigoryan", "Haddad", "Ivanova", "Jovanovic", "Kuznetsov", "Laine",
];
export const countries = ["DE", "FR", "IT", "ES", "NL", "PL", "SE", "PT", "AT", "BE", "IE", "CZ"];
export const sanctionedCountries = ["XA", "XB", "XC"];
export const programs = ["FIN-SANCT-1", "ARMS-EMB-2", "TERROR-3", "CYBER-4"];
