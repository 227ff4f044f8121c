/** Fictional name parts and counterparties for the synthetic dataset and sanctions list. */

export const applicantGivenNames = [
  "Amara", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiroshi", "Ines", "Jonas", "Kemal", "Lucia", "Mateo", "Nadia",
  "Oskar", "Priya", "Quentin", "Rosa", "Stefan", "Tamar", "Umar", "Vera", "Wiktor", "Ximena", "Yusuf", "Zofia", "Aleksandr", "Beatriz",
  "Ciaran", "Dalia", "Emeka", "Fatima", "Gustavo", "Hanna", "Ivan", "Jolanta", "Karim", "Leila", "Mikhail", "Noor", "Sofia", "Lars",
  "Anouk", "Pieter", "Marta", "Tomasz", "Aoife", "Niamh", "Joao", "Carmen", "Matthias", "Lena", "Henrik", "Ingrid", "Pavel", "Klara",
];

export const applicantFamilyNames = [
  "Abara", "Berg", "Castellano", "Dragomir", "Eriksen", "Ferreira", "Gallo", "Horvath", "Iwasaki", "Jansen", "Kowalski", "Lindqvist",
  "Moreau", "Novak", "Okafor", "Quispe", "Rahimi", "Santoro", "Takahashi", "Urbanek", "Varga", "Wojcik", "Yilmaz", "Zeller",
  "Almeida", "Bianchi", "Costa", "Demir", "Esposito", "Fischer", "Grigoryan", "Ivanova", "Jovanovic", "Laine", "Murphy", "De Vries",
  "Nowicki", "Svoboda", "Dubois", "Lefevre", "Rossi", "Romano", "Garcia", "Martins", "Schmidt", "Weber", "Hansen", "Nielsen", "Keller",
];

export const applicantCountries = ["DE", "FR", "IT", "ES", "NL", "PL", "SE", "PT", "AT", "BE", "IE", "CZ"];

/** Listed given names, each with the spellings other romanizations give it. */
export const listedGivenNames: Record<string, string[]> = {
  Mikhail: ["Michail", "Mikhael"],
  Aleksandr: ["Alexander", "Aleksander"],
  Sergei: ["Sergey", "Serguei"],
  Dmitri: ["Dmitry", "Dmitriy"],
  Yuri: ["Yury", "Iouri"],
  Vladislav: ["Wladislaw"],
  Oleg: [],
  Anatoly: ["Anatoli", "Anatolii"],
  Nikolai: ["Nikolay", "Nicolai"],
  Grigori: ["Grigory", "Grigoriy"],
  Viktor: ["Victor"],
  Boris: [],
  Yusuf: ["Youssef", "Yousef"],
  Muhammad: ["Mohammed", "Mohamed"],
  Omar: ["Umar"],
  Tariq: ["Tarek", "Tarik"],
  Khalid: ["Khaled"],
  Hassan: ["Hasan"],
  Mahmoud: ["Mahmud"],
  Faisal: ["Faysal"],
  Reza: [],
  Farhad: [],
  Behrouz: ["Behruz"],
  Jian: [],
  Wei: [],
  Joaquin: ["Joaquín"],
  Hector: ["Héctor"],
  Ramon: ["Ramón"],
  Kwame: [],
  Emmanuel: ["Emanuel"],
};

/** Listed family names, each with the spellings other romanizations give it. */
export const listedFamilyNames: Record<string, string[]> = {
  Volkov: ["Wolkow", "Volkoff"],
  Sokolov: ["Sokoloff"],
  Morozov: ["Morosow"],
  Kozlov: ["Koslow"],
  Orlov: ["Orloff"],
  Lebedev: ["Lebedew"],
  Zaitsev: ["Saizew", "Zaytsev"],
  Khalil: ["Halil"],
  Nasser: ["Nasir"],
  Rahman: ["Rehman"],
  Mansour: ["Mansur"],
  Hosseini: ["Husseini"],
  Karimi: [],
  Tehrani: [],
  Zhang: ["Chang"],
  Chen: ["Chan"],
  Liu: [],
  Ortega: [],
  Salazar: [],
  Mendoza: [],
  Castillo: ["Castiyo"],
  Mensah: [],
  Okoye: [],
  Barzani: [],
  Qureshi: ["Kureshi"],
};

/** Fictional listed entities: companies and vessels appear on real lists too. */
export const listedEntities = [
  "Northwind Maritime Trading", "Blue Lantern Holdings", "Crescent Arc Logistics", "Iron Delta Shipping", "Amber Route Exports",
  "Silent Harbor Finance", "Redline Metals Group", "Obsidian Star Freight", "Greyhaven Capital", "Sable Ridge Minerals",
  "Coastal Meridian Bank", "Vantor Dual-Use Supplies", "Polar Kite Airlines", "Marlin Gate Petroleum", "Cobalt Steppe Industries",
];

/** ISO 3166 user-assigned codes: fictional jurisdictions, so no real country is implied. */
export const listedCountries = ["XA", "XB", "XC", "XD"];
export const sanctionsPrograms = ["FIN-SANCT-1", "ARMS-EMB-2", "TERROR-3", "CYBER-4", "PROLIF-5"];

export const employers = [
  "Acme Logistics", "Brightwave Software", "Civic Health Trust", "Delta Engineering", "Evergreen Foods", "Fjord Energy",
  "Granite Insurance", "Harbor City Council", "Ionic Labs", "Juniper Retail", "Kestrel Airlines", "Lumen Media", "Meridian Bank",
  "Northfield School District", "Orbit Telecom", "Pioneer Construction",
];

/** Counterparties by spending category. */
export const counterparties: Record<string, string[]> = {
  groceries: ["FreshMart", "Green Basket", "Corner Grocer", "Market Hall", "Daily Greens"],
  transport: ["Metro Transit", "Fuel Stop", "RideNow", "City Parking", "Rail Connect"],
  dining: ["Bistro Lumiere", "Pizza Nova", "Cafe Central", "Noodle Bar", "Taverna Olea"],
  shopping: ["Online Marketplace", "Home & Garden Depot", "Fashion Street", "Book Nook", "Sports Outlet"],
  "large-purchase": ["ElectroWorld", "SkyTravel Bookings", "Furniture Gallery", "Auto Service Center"],
  utilities: ["City Power & Light", "AquaNet Water", "FiberLink Internet"],
  phone: ["Mobilo Telecom", "Orbit Mobile"],
  subscriptions: ["StreamBox", "MusicCloud", "Gym Plus", "NewsDaily"],
  insurance: ["Safeguard Insurance", "Allsure Home & Life"],
  rent: ["Oakridge Properties", "Lakeside Lettings", "Private Landlord", "Civic Housing Association"],
  gambling: ["LuckyBet Online", "SpinPalace Casino", "BetArena", "Jackpot Lounge"],
  "cash-advance": ["QuickCash Payday", "CashNow Advance", "PayBridge Loans"],
  "loan-repayment": ["Northwind Consumer Finance", "EasyCredit Installments", "AutoLoan Direct"],
};
