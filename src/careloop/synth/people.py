"""Names, languages and places for synthetic people. All invented combinations; no real person is meant.

Names come in heritage groups so that a surname, a given name and a preferred language fit together (a
patient named Nguyen is likelier to prefer Vietnamese than one named Kowalski). The group weights and the
share of each group preferring a language other than English loosely follow the US Census Bureau's American
Community Survey (table S1601, "Language spoken at home", 2022 5-year estimates), tilted towards an older
population, in which a preference for the home language is more common.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HeritageGroup:
    weight: float
    surnames: tuple[str, ...]
    female: tuple[str, ...]
    male: tuple[str, ...]
    # (BCP-47 code, share) of preferred languages other than English; the rest prefer English.
    languages: tuple[tuple[str, float], ...] = ()


GROUPS: tuple[HeritageGroup, ...] = (
    HeritageGroup(
        0.60,
        ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
         "Thomas", "Moore", "Jackson", "Martin", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson",
         "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill",
         "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner", "Parker", "Collins",
         "Edwards", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Cooper", "Peterson", "Bailey",
         "Reed", "Kelly", "Howard", "Washington", "Brooks", "Sanders", "Price", "Bennett", "Wood", "Barnes",
         "Ross", "Henderson", "Coleman", "Jenkins", "Perry", "Powell", "Long", "Patterson", "Hughes", "Foster",
         "O'Brien", "O'Connor", "McCarthy", "Sullivan", "Kowalski", "Nowak", "Schmidt", "Schneider", "Olson",
         "Larson", "Johansson", "Rossi", "Russo", "Esposito", "Moreau", "Dubois", "Cohen", "Levy", "Friedman",
         "Jefferson", "Banks", "Freeman", "Dixon", "Hayes", "Gordon", "Simmons", "Graham", "Wallace", "Fischer"),
        ("Mary", "Patricia", "Linda", "Barbara", "Elizabeth", "Jennifer", "Susan", "Margaret", "Dorothy", "Lisa",
         "Nancy", "Karen", "Betty", "Helen", "Sandra", "Donna", "Carol", "Ruth", "Sharon", "Michelle", "Laura",
         "Sarah", "Kimberly", "Deborah", "Jessica", "Shirley", "Cynthia", "Angela", "Melissa", "Brenda", "Amy",
         "Anna", "Rebecca", "Virginia", "Kathleen", "Pamela", "Martha", "Debra", "Amanda", "Stephanie",
         "Carolyn", "Christine", "Marie", "Janet", "Catherine", "Frances", "Ann", "Joyce", "Diane", "Alice",
         "Gloria", "Evelyn", "Jean", "Cheryl", "Mildred", "Katherine", "Joan", "Ashley", "Judith", "Rose",
         "Latoya", "Keisha", "Tamika", "Ebony", "Shanice", "Emma", "Olivia", "Hannah", "Megan", "Grace"),
        ("James", "John", "Robert", "Michael", "William", "David", "Richard", "Charles", "Joseph", "Thomas",
         "Christopher", "Daniel", "Paul", "Mark", "Donald", "George", "Kenneth", "Steven", "Edward", "Brian",
         "Ronald", "Anthony", "Kevin", "Jason", "Matthew", "Gary", "Timothy", "Larry", "Jeffrey", "Frank",
         "Scott", "Eric", "Stephen", "Andrew", "Raymond", "Gregory", "Joshua", "Jerry", "Dennis", "Walter",
         "Patrick", "Peter", "Harold", "Douglas", "Henry", "Carl", "Arthur", "Ryan", "Roger", "Joe", "Albert",
         "Jack", "Gerald", "Willie", "Lawrence", "Terrence", "Darnell", "Marcus", "Andre", "Tyrone", "Ethan",
         "Samuel", "Benjamin", "Nathan", "Aaron", "Eugene", "Ralph", "Howard", "Earl", "Leonard"),
        (("pl", 0.01), ("fr", 0.005)),
    ),
    HeritageGroup(
        0.19,
        ("Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Perez", "Sanchez", "Ramirez",
         "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Reyes", "Morales", "Cruz", "Ortiz", "Gutierrez",
         "Chavez", "Ramos", "Ruiz", "Alvarez", "Mendoza", "Vasquez", "Castillo", "Jimenez", "Moreno", "Romero",
         "Herrera", "Medina", "Aguilar", "Vargas", "Castro", "Guzman", "Fernandez", "Munoz", "Salazar", "Soto",
         "Delgado"),
        ("Maria", "Rosa", "Guadalupe", "Carmen", "Ana", "Juana", "Josefina", "Elena", "Teresa", "Gabriela",
         "Luz", "Sofia", "Isabel", "Lucia", "Veronica", "Alejandra", "Yolanda", "Patricia", "Leticia", "Adriana",
         "Marisol", "Esperanza", "Dolores", "Margarita", "Beatriz"),
        ("Jose", "Juan", "Luis", "Carlos", "Jesus", "Miguel", "Francisco", "Antonio", "Alejandro", "Manuel",
         "Pedro", "Ricardo", "Jorge", "Roberto", "Fernando", "Raul", "Javier", "Sergio", "Eduardo", "Ramon",
         "Hector", "Arturo", "Rafael", "Armando", "Enrique"),
        (("es", 0.42),),
    ),
    HeritageGroup(
        0.04,
        ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu",
         "Hu", "Guo", "Lin", "He", "Gao", "Luo", "Wong", "Chan", "Leung", "Lam", "Cheung"),
        ("Mei", "Xiu", "Li Na", "Hui", "Ying", "Jing", "Lan", "Yan", "Fang", "Hong", "Min", "Xia", "Ling",
         "Wei", "Yu"),
        ("Wei", "Jun", "Hao", "Ming", "Jian", "Tao", "Yong", "Qiang", "Lei", "Bin", "Gang", "Hua", "Zhi",
         "Chen", "Kai"),
        (("zh", 0.45),),
    ),
    HeritageGroup(
        0.02,
        ("Nguyen", "Tran", "Le", "Pham", "Huynh", "Hoang", "Phan", "Vu", "Vo", "Dang", "Bui", "Do", "Ho", "Ngo",
         "Duong"),
        ("Lan", "Mai", "Hoa", "Linh", "Thu", "Huong", "Ngoc", "Trang", "Phuong", "Anh", "Hanh", "Thao"),
        ("Minh", "Tuan", "Hung", "Duc", "Quang", "Thanh", "Long", "Nam", "Khanh", "Bao", "Son", "Viet"),
        (("vi", 0.50),),
    ),
    HeritageGroup(
        0.01,
        ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Shin"),
        ("Ji-yeon", "Soo-jin", "Min-ji", "Eun-ji", "Hye-jin", "Young-hee", "Seo-yeon", "Mi-kyung"),
        ("Min-jun", "Seo-jun", "Ji-hoon", "Sung-min", "Dong-hyun", "Jae-won", "Young-soo", "Sang-woo"),
        (("ko", 0.45),),
    ),
    HeritageGroup(
        0.03,
        ("Patel", "Shah", "Singh", "Kumar", "Sharma", "Gupta", "Desai", "Mehta", "Reddy", "Rao", "Iyer", "Khan",
         "Ali", "Chaudhry", "Joshi", "Nair"),
        ("Priya", "Anjali", "Sunita", "Kavita", "Lakshmi", "Deepa", "Neha", "Pooja", "Meera", "Asha", "Fatima",
         "Ayesha"),
        ("Raj", "Amit", "Sanjay", "Vijay", "Ravi", "Arjun", "Suresh", "Anil", "Rahul", "Imran", "Tariq", "Vikram"),
        (("hi", 0.10), ("ur", 0.05), ("gu", 0.05)),
    ),
    HeritageGroup(
        0.015,
        ("Haddad", "Khoury", "Nasser", "Saleh", "Mansour", "Hassan", "Ibrahim", "Abdullah", "Youssef", "Aziz",
         "Farah", "Hamdan"),
        ("Fatima", "Layla", "Mariam", "Nour", "Rania", "Huda", "Amira", "Samira", "Yasmin", "Salma"),
        ("Mohammed", "Ahmed", "Omar", "Khalid", "Youssef", "Hassan", "Karim", "Samir", "Tarek", "Nabil"),
        (("ar", 0.35),),
    ),
    HeritageGroup(
        0.015,
        ("Ivanov", "Petrov", "Smirnov", "Kuznetsov", "Popov", "Volkov", "Sokolov", "Morozov", "Pavlov",
         "Kozlov", "Novikov", "Fedorov"),
        ("Olga", "Tatiana", "Natalia", "Irina", "Svetlana", "Elena", "Galina", "Lyudmila", "Marina", "Yulia"),
        ("Sergei", "Vladimir", "Alexei", "Dmitri", "Nikolai", "Igor", "Mikhail", "Yuri", "Boris", "Andrei"),
        (("ru", 0.40), ("uk", 0.05)),
    ),
    HeritageGroup(
        0.01,
        ("Jean-Baptiste", "Pierre", "Joseph", "Louis", "Charles", "Francois", "Etienne", "Desir", "Toussaint",
         "Celestin"),
        ("Marie", "Roseline", "Nadege", "Guerline", "Mireille", "Fabienne", "Nathalie", "Claudette"),
        ("Jean", "Pierre", "Wilner", "Fritz", "Jacques", "Reginald", "Emmanuel", "Rodney"),
        (("ht", 0.40),),
    ),
    HeritageGroup(
        0.02,
        ("Santos", "Reyes", "Cruz", "Bautista", "Ocampo", "Garcia", "Mendoza", "Dela Cruz", "Villanueva",
         "Aquino", "Ramos", "Castillo"),
        ("Maria", "Rosario", "Luzviminda", "Marites", "Jocelyn", "Maricel", "Imelda", "Corazon"),
        ("Jose", "Rodrigo", "Ramon", "Eduardo", "Danilo", "Ferdinand", "Rolando", "Reynaldo"),
        (("tl", 0.20),),
    ),
)

# Display names for the languages above (for contact notes such as "Needs a Vietnamese interpreter").
LANGUAGE_NAMES = {
    "en": "English", "es": "Spanish", "zh": "Chinese", "vi": "Vietnamese", "ko": "Korean", "hi": "Hindi",
    "ur": "Urdu", "gu": "Gujarati", "ar": "Arabic", "ru": "Russian", "uk": "Ukrainian", "ht": "Haitian Creole",
    "tl": "Tagalog", "pl": "Polish", "fr": "French",
}

# The care programme serves one county: four clinic regions, each with its towns (real towns of Lake County,
# Illinois, and their ZIP codes; street addresses are invented).
REGIONS = ("North", "South", "East", "West")
TOWNS: tuple[tuple[str, str, str, int], ...] = (  # town, state, ZIP, region index
    ("Antioch", "IL", "60002", 0), ("Fox Lake", "IL", "60020", 0), ("Zion", "IL", "60099", 0),
    ("Round Lake", "IL", "60073", 0), ("Lake Forest", "IL", "60045", 1), ("Highland Park", "IL", "60035", 1),
    ("Lake Zurich", "IL", "60047", 1), ("Vernon Hills", "IL", "60061", 1), ("Waukegan", "IL", "60085", 2),
    ("North Chicago", "IL", "60064", 2), ("Gurnee", "IL", "60031", 2), ("Mundelein", "IL", "60060", 3),
    ("Libertyville", "IL", "60048", 3), ("Grayslake", "IL", "60030", 3),
)
STREETS = ("Oak", "Maple", "Cedar", "Elm", "Washington", "Lincoln", "Lake", "Hill", "Park", "Main", "Sheridan",
           "Green Bay", "Grand", "Belvidere", "Milwaukee", "Church", "River", "Prairie", "Sunset", "Highland",
           "Deerpath", "Hawthorn", "Butterfield", "Route 83", "Golf", "Jackson", "Lewis", "Glen Flora")
STREET_SUFFIXES = ("St", "Ave", "Rd", "Dr", "Ct", "Ln", "Blvd", "Pl")
# 555-0100..555-0199 is the block of US numbers reserved for fiction, so no real line is ever dialled.
AREA_CODES = ("847", "224")

CONTACT_NOTES = (
    "Prefers calls in the morning", "Prefers calls after 2 pm", "Daughter helps with calls",
    "Hard of hearing; speak slowly", "Works nights; text first", "Leave a message; calls back",
    "Son manages appointments", "Prefers the patient portal",
)

RELATIONS = ("daughter", "son", "wife", "husband", "sister", "brother", "granddaughter", "niece", "neighbour",
             "friend")
