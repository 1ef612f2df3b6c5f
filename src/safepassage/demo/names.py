"""Name tables for the synthetic demo: common given and family names in Arabic, Cyrillic and Latin.

Each entry lists one Arabic spelling, one or more Cyrillic spellings and one or more Latin
transliterations, the usual one first. The variants are the ones met on real documents
(Mohammed/Muhammad/Mohamad, Наталья/Наталия); combining them at random never describes a real person.
"""

from __future__ import annotations

from typing import NamedTuple


class Forms(NamedTuple):
    arabic: str
    cyrillic: tuple[str, ...]
    latin: tuple[str, ...]

    def all(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.arabic, *self.cyrillic, *self.latin)))


def _table(rows: str) -> tuple[Forms, ...]:
    """Rows of ``arabic ; cyrillic|variants ; latin|variants``."""
    out = []
    for row in rows.strip().splitlines():
        arabic, cyrillic, latin = (cell.strip() for cell in row.split(";"))
        out.append(Forms(arabic, tuple(cyrillic.split("|")), tuple(latin.split("|"))))
    return tuple(out)


ARABIC_MALE = _table("""
محمد;Мухаммед|Мохаммед|Мухаммад;Mohammed|Muhammad|Mohamad
أحمد;Ахмед|Ахмад;Ahmed|Ahmad
علي;Али;Ali
حسن;Хасан|Гасан;Hassan|Hasan
حسين;Хусейн|Хусеин;Hussein|Husain|Hussain
عبد الرحمن;Абдурахман|Абдель Рахман|Абд ар-Рахман;Abd al-Rahman|Abdulrahman|Abdelrahman
عبد الله;Абдулла|Абдаллах;Abdullah|Abdallah|Abdulla
خالد;Халид|Халед;Khaled|Khalid
عمر;Омар|Умар;Omar|Umar
يوسف;Юсуф|Юсеф;Youssef|Yusuf|Yousef
إبراهيم;Ибрагим;Ibrahim|Ebrahim
مصطفى;Мустафа;Mustafa|Moustafa
محمود;Махмуд;Mahmoud|Mahmud
سامر;Самер;Samer
باسل;Басиль|Басел;Bassel|Basil|Basel
فادي;Фади;Fadi
رامي;Рами;Rami
طارق;Тарик|Тарек;Tarek|Tariq
وليد;Валид|Уалид;Walid|Waleed
ماهر;Махер;Maher
نزار;Низар;Nizar
جورج;Жорж|Джордж;George|Georges
إلياس;Ильяс|Элиас;Elias|Ilyas
ميشيل;Мишель;Michel
يعقوب;Якуб;Yacoub|Yaqub
سليمان;Сулейман;Suleiman|Sulayman|Soleiman
عيسى;Иса;Issa|Isa
موسى;Муса;Moussa|Musa
حيدر;Хайдар|Гейдар;Haidar|Haydar
جميل;Джамиль|Жамиль;Jamil|Jameel
كريم;Карим;Karim|Kareem
نبيل;Набиль;Nabil|Nabeel
سمير;Самир;Samir|Sameer
عادل;Адель|Адиль;Adel|Adil
أيمن;Айман|Эймен;Ayman|Aiman
مازن;Мазен;Mazen|Mazin
هاني;Хани;Hani|Hany
غسان;Гассан|Гасан;Ghassan
زياد;Зияд|Зиад;Ziad|Ziyad
عماد;Имад;Imad|Emad
رياض;Рияд|Рияз;Riad|Riyad
منير;Мунир;Mounir|Munir
فراس;Фирас;Firas|Feras
أنس;Анас;Anas
حمزة;Хамза;Hamza|Hamzah
بلال;Билал;Bilal
ياسر;Ясир|Ясер;Yasser|Yasir
مروان;Марван;Marwan
عصام;Исам|Иссам;Issam|Essam
نادر;Надер|Надир;Nader|Nadir
شادي;Шади;Shadi|Chadi
جاد;Джад;Jad
أمير;Амир;Amir|Ameer
آدم;Адам;Adam
صالح;Салех|Салих;Saleh|Salih
سعيد;Саид|Сайд;Said|Saeed
حسام;Хусам|Хосам;Hussam|Hossam
مهند;Муханнад;Muhannad|Mohannad
قاسم;Касым|Касем;Qasim|Kassem
هيثم;Хайсам|Хейсам;Haitham|Haytham
وائل;Ваиль|Уаиль;Wael|Wa'il
يزن;Язан;Yazan
""")

ARABIC_FEMALE = _table("""
فاطمة;Фатима;Fatima|Fatma|Fatmeh
مريم;Марьям|Мариам;Maryam|Mariam
عائشة;Аиша|Айша;Aisha|Aysha|Aicha
زينب;Зейнаб|Зайнаб;Zainab|Zeinab|Zaynab
نور;Нур;Nour|Nur|Noor
سارة;Сара;Sara|Sarah
ليلى;Лейла|Лайла;Layla|Leila|Laila
هدى;Худа;Huda|Houda|Hoda
رنا;Рана;Rana
ريم;Рим|Реем;Reem|Rim
لينا;Лина;Lina|Leena
رهف;Рахаф;Rahaf
سلمى;Сальма;Salma|Selma
دعاء;Дуа;Duaa|Doaa
آمنة;Амина|Амна;Amina|Amna|Aminah
خديجة;Хадиджа|Хадижат;Khadija|Khadijah
رغد;Рагад;Raghad
حلا;Хала;Hala
جنى;Джана|Жана;Jana|Janna
لمى;Лама;Lama
سوسن;Сусан|Саусан;Sawsan|Sousan
غادة;Гада;Ghada
منى;Муна|Мона;Mona|Muna
رولا;Рула;Rula|Roula
ديما;Дима;Dima
هبة;Хиба|Хеба;Hiba|Heba
ياسمين;Ясмин|Ясмина;Yasmin|Yasmine|Jasmin
نادية;Надия;Nadia|Nadiya
سميرة;Самира;Samira|Sameera
وفاء;Вафа;Wafa|Wafaa
رشا;Раша;Rasha
سعاد;Суад|Соад;Suad|Souad
ماري;Мари;Marie|Mary
رزان;Разан;Razan
تالا;Тала;Tala
شهد;Шахд;Shahd|Shahad
بيان;Баян;Bayan
آية;Ая|Айя;Aya|Ayah
إيمان;Иман;Iman|Eman
حنان;Ханан;Hanan
نسرين;Насрин|Несрин;Nisreen|Nesrine|Nasrin
أمل;Амаль;Amal
جميلة;Джамиля|Жамиля;Jamila|Jameela
سهى;Суха;Suha|Souha
رانيا;Рания;Rania|Ranya
عبير;Абир;Abeer|Abir
فرح;Фарах;Farah
سلام;Салям|Салам;Salam
روان;Раван;Rawan
ريما;Рима;Rima|Reema
""")

RUSSIAN_FEMALE = _table("""
ناتاليا;Наталья|Наталия;Natalia|Natalya|Natalja
يلينا;Елена;Elena|Yelena|Jelena
أولغا;Ольга;Olga
تاتيانا;Татьяна;Tatiana|Tatyana|Tatjana
إيرينا;Ирина;Irina
سفيتلانا;Светлана;Svetlana
آنا;Анна;Anna
ماريا;Мария;Maria|Mariya
يكاترينا;Екатерина;Ekaterina|Yekaterina
يوليا;Юлия;Yulia|Yuliya|Julia
ليودميلا;Людмила;Lyudmila|Ludmila|Liudmila
غالينا;Галина;Galina
مارينا;Марина;Marina
أوكسانا;Оксана;Oksana
أناستاسيا;Анастасия;Anastasia|Anastasiya
فيكتوريا;Виктория;Viktoria|Victoria|Viktoriya
كسينيا;Ксения;Ksenia|Kseniya|Xenia
فالنتينا;Валентина;Valentina
ناديجدا;Надежда;Nadezhda|Nadejda
فيرا;Вера;Vera
ليوبوف;Любовь;Lyubov|Liubov|Lubov
آلا;Алла;Alla
لاريسا;Лариса;Larisa|Larissa
نينا;Нина;Nina
فاليريا;Валерия;Valeria|Valeriya
داريا;Дарья;Daria|Darya|Dariya
يفغينيا;Евгения;Evgenia|Yevgeniya|Evgeniya
كريستينا;Кристина;Kristina|Christina
ألينا;Алёна|Алена;Alena|Alyona|Aliona
جانا;Жанна;Zhanna|Janna
ليليا;Лилия;Lilia|Liliya
زويا;Зоя;Zoya|Zoia
رايسا;Раиса;Raisa
تمارا;Тамара;Tamara
بولينا;Полина;Polina
صوفيا;Софья|София;Sofia|Sofya|Sophia
إلفيرا;Эльвира;Elvira
ديانا;Диана;Diana
إينا;Инна;Inna
ميلانا;Милана;Milana
""")

RUSSIAN_MALE = _table("""
سيرغي;Сергей;Sergei|Sergey
ألكسندر;Александр;Alexander|Aleksandr
فلاديمير;Владимир;Vladimir
نيكولاي;Николай;Nikolai|Nikolay
أندريه;Андрей;Andrei|Andrey
أليكسي;Алексей;Alexei|Aleksey|Alexey
دميتري;Дмитрий;Dmitry|Dmitriy|Dmitrii
إيفان;Иван;Ivan
ميخائيل;Михаил;Mikhail|Michail
فيكتور;Виктор;Viktor|Victor
يوري;Юрий;Yuri|Yury|Iurii
يفغيني;Евгений;Evgeny|Yevgeniy|Evgenii
بافل;Павел;Pavel
أوليغ;Олег;Oleg
إيغور;Игорь;Igor
أناتولي;Анатолий;Anatoly|Anatoliy
فاليري;Валерий;Valery|Valeriy
بوريس;Борис;Boris
غينادي;Геннадий;Gennady|Gennadiy
فاسيلي;Василий;Vasily|Vasiliy|Vasilii
بيوتر;Пётр|Петр;Pyotr|Petr
""")

ARABIC_FAMILY = _table("""
الحسن;Аль-Хасан|Аль-Хассан|Эль-Хасан;Al-Hassan|Al Hasan|Alhassan
الأحمد;Аль-Ахмад|Аль-Ахмед;Al-Ahmad|Alahmad|Al Ahmed
العلي;Аль-Али;Al-Ali|Alali|Al Ali
الخطيب;Аль-Хатиб|Эль-Хатиб;Al-Khatib|Alkhatib|El Khatib
حداد;Хаддад;Haddad|Hadad
الشامي;Аш-Шами|Аль-Шами;Al-Shami|Alshami|Ash-Shami
المصري;Аль-Масри;Al-Masri|Almasri|El Masri
حمدان;Хамдан;Hamdan
سليمان;Сулейман;Suleiman|Sleiman|Slimane
ابراهيم;Ибрагим;Ibrahim|Ebrahim
عثمان;Усман|Осман;Othman|Osman|Uthman
الزعبي;Аз-Зоуби|Аль-Зуби;Al-Zoubi|Alzoubi|Al-Zu'bi
العمر;Аль-Омар;Al-Omar|Alomar
الحلبي;Аль-Халяби|Аль-Халаби;Al-Halabi|Alhalabi|Halabi
قباني;Каббани;Kabbani|Qabbani
الدمشقي;Ад-Димашки|Аль-Димашки;Al-Dimashqi|Dimashki
خوري;Хури|Хоури;Khoury|Khouri|Khuri
نصر;Наср;Nasr|Nassr
صباغ;Саббаг;Sabbagh|Sabbag
عطار;Аттар;Attar|Al-Attar
درويش;Дарвиш|Дервиш;Darwish|Darweesh
يوسف;Юсеф|Юсуф;Youssef|Yusuf
سلوم;Саллум|Саллюм;Salloum|Sallum
ديب;Диб;Dib|Deeb
شاهين;Шахин;Shahin|Chahine|Shaheen
منصور;Мансур;Mansour|Mansur
حبيب;Хабиб;Habib|Habeeb
نجار;Наджар|Наджжар;Najjar|Nadjar
حمود;Хаммуд;Hammoud|Hamoud
جبور;Джаббур;Jabbour|Jabour
عباس;Аббас;Abbas
زيدان;Зидан|Зейдан;Zidane|Zeidan|Zaidan
الرفاعي;Ар-Рифаи|Аль-Рифаи;Al-Rifai|Alrifai|Rifai
السيد;Ас-Сайед|Аль-Сайед;Al-Sayed|Elsayed|Al Sayyid
معروف;Маруф;Marouf|Maaruf|Ma'ruf
صقر;Сакр;Saqr|Sakr|Saker
عساف;Ассаф;Assaf|Asaf
الحمصي;Аль-Хомси|Аль-Химси;Al-Homsi|Alhomsi|Homsi
ناصيف;Насиф;Nassif|Nasif
سعد;Саад;Saad|Sa'd
غانم;Ганем|Ганим;Ghanem|Ghanim
طعمة;Тума|Таама;Tohme|Toumeh|Tu'ma
كنعان;Канаан|Кенан;Kanaan|Canaan
بركات;Баракат;Barakat
الجندي;Аль-Джунди;Al-Jundi|Jundi|Al-Joundi
عيد;Ид|Эйд;Eid|Aid
شحادة;Шехаде|Шхаде;Shehadeh|Chehade|Shahada
الكردي;Аль-Курди;Al-Kurdi|Kurdi
قاسم;Касем|Касым;Kassem|Qasim
حيدر;Хайдар|Гейдар;Haidar|Haydar
""")

# Masculine forms; ``surname_forms`` gives the feminine ones.
RUSSIAN_FAMILY = _table("""
إيفانوف;Иванов;Ivanov
سميرنوف;Смирнов;Smirnov
كوزنيتسوف;Кузнецов;Kuznetsov|Kouznetsov
بوبوف;Попов;Popov
فاسيلييف;Васильев;Vasilyev|Vasiliev|Vasilev
بيتروف;Петров;Petrov
سوكولوف;Соколов;Sokolov
ميخائيلوف;Михайлов;Mikhailov|Mikhaylov
نوفيكوف;Новиков;Novikov
فيودوروف;Фёдоров|Федоров;Fedorov|Fyodorov|Fiodorov
موروزوف;Морозов;Morozov
فولكوف;Волков;Volkov
ألكسييف;Алексеев;Alekseev|Alexeev|Alekseyev
ليبيديف;Лебедев;Lebedev
سيمينوف;Семёнов|Семенов;Semenov|Semyonov
يغوروف;Егоров;Egorov|Yegorov
بافلوف;Павлов;Pavlov
كوزلوف;Козлов;Kozlov
ستيبانوف;Степанов;Stepanov
نيكولاييف;Николаев;Nikolaev|Nikolayev
أورلوف;Орлов;Orlov
أندرييف;Андреев;Andreev|Andreyev
ماكاروف;Макаров;Makarov
نيكيتين;Никитин;Nikitin
زاخاروف;Захаров;Zakharov
زايتسيف;Зайцев;Zaitsev|Zaytsev
سولوفيوف;Соловьёв|Соловьев;Solovyov|Soloviev|Solovev
بوريسوف;Борисов;Borisov
ياكوفليف;Яковлев;Yakovlev|Iakovlev
غريغورييف;Григорьев;Grigoryev|Grigoriev
رومانوف;Романов;Romanov
سيرغييف;Сергеев;Sergeev|Sergeyev
كوزمين;Кузьмин;Kuzmin
إيلين;Ильин;Ilyin|Ilin
سوروكين;Сорокин;Sorokin
فينوغرادوف;Виноградов;Vinogradov
كوفاليفسكي;Ковалевский;Kovalevsky|Kovalevskiy
شيفتشينكو;Шевченко;Shevchenko
بوندارينكو;Бондаренко;Bondarenko
كوفالتشوك;Ковальчук;Kovalchuk
خابيبولين;Хабибуллин;Khabibullin
صافين;Сафин;Safin
""")


def surname_forms(masculine: Forms, female: bool) -> Forms:
    """A Russian surname as a woman carries it: Иванов → Иванова, Ковалевский → Ковалевская."""
    if not female:
        return masculine
    head = masculine.cyrillic[0]
    if head.endswith(("ский", "цкий")):
        return Forms(
            masculine.arabic.removesuffix("ي") + "ايا",
            tuple(c[:-2] + "ая" for c in masculine.cyrillic),
            tuple(dict.fromkeys(lat.removesuffix("iy").removesuffix("y") + "aya" for lat in masculine.latin)),
        )
    if head.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return Forms(
            masculine.arabic + "ا",
            tuple(c + "а" for c in masculine.cyrillic),
            tuple(lat + "a" for lat in masculine.latin),
        )
    return masculine  # Шевченко, Ковальчук: the same for women


_PATRONYMIC_EXCEPTIONS = {"Павел": "Павлович", "Михаил": "Михайлович", "Пётр": "Петрович"}


def patronymic(father: str, female: bool) -> str:
    """The Russian patronymic from a father's name in Cyrillic: Мухаммед → Мухаммедович/Мухаммедовна."""
    stem = father.replace(" ", "")
    if father in _PATRONYMIC_EXCEPTIONS:
        male = _PATRONYMIC_EXCEPTIONS[father]
    elif stem.endswith("ий") and stem != "Дмитрий":  # Юрий → Юрьевич
        male = stem[:-2] + "ьевич"
    elif stem.endswith(("й", "ь")):  # Сергей → Сергеевич, Игорь → Игоревич
        male = stem[:-1] + "евич"
    elif stem.endswith(("а", "я", "и", "е", "о", "у", "ы", "ю", "ж", "ш", "ч", "щ", "ц")):  # Муса → Мусаевич
        male = stem + "евич"
    else:
        male = stem + "ович"
    return male[:-2] + "на" if female else male


# The demo's sites: code, name, kind (a SiteKind value), country, latitude, longitude, beds.
SITES = (
    ("DAM-CONS", "Consulate, Damascus", "consulate", "SY", 33.5150, 36.2920, 60),
    ("DAM-AP", "Assembly point, Mezzeh, Damascus", "assembly_point", "SY", 33.5030, 36.2530, 600),
    ("DAM-SH", "Shelter, Bab Touma, Damascus", "shelter", "SY", 33.5130, 36.3170, 1200),
    ("ALP-AP", "Assembly point, Aleppo", "assembly_point", "SY", 36.2021, 37.1343, 800),
    ("LTK-AP", "Assembly point, Latakia", "assembly_point", "SY", 35.5317, 35.7901, 1000),
    ("TRT-AP", "Assembly point, Tartus", "assembly_point", "SY", 34.8890, 35.8866, 900),
    ("LTK-AB", "Airbase near Jableh, Latakia (Hmeimim-like)", "airbase", "SY", 35.4011, 35.9487, 8000),
    ("DAM-APT", "Damascus International Airport", "airport", "SY", 33.4114, 36.5156, 300),
    ("MOW-RC", "Reception centre, Moscow region", "reception_centre", "RU", 55.8540, 38.4410, 2500),
    ("GRZ-RC", "Reception centre, Grozny", "reception_centre", "RU", 43.3178, 45.6949, 1500),
    ("MCX-RC", "Reception centre, Makhachkala", "reception_centre", "RU", 42.9849, 47.5047, 1200),
    ("KZN-RC", "Reception centre, Kazan", "reception_centre", "RU", 55.7961, 49.1064, 1000),
)

# (place in Soviet times, place today) as a Russian document writes it.
SOVIET_PLACES = (
    ("г. Москва, СССР", "г. Москва, Россия"),
    ("г. Ленинград, СССР", "г. Санкт-Петербург, Россия"),
    ("г. Волгоград, СССР", "г. Волгоград, Россия"),
    ("г. Ростов-на-Дону, СССР", "г. Ростов-на-Дону, Россия"),
    ("г. Краснодар, СССР", "г. Краснодар, Россия"),
    ("г. Казань, СССР", "г. Казань, Россия"),
    ("г. Махачкала, СССР", "г. Махачкала, Россия"),
    ("г. Киев, УССР", "г. Киев, Украина"),
    ("г. Харьков, УССР", "г. Харьков, Украина"),
    ("г. Одесса, УССР", "г. Одесса, Украина"),
    ("г. Минск, БССР", "г. Минск, Беларусь"),
    ("г. Алма-Ата, КазССР", "г. Алматы, Казахстан"),
)

SYRIAN_PLACES = ("دمشق", "حلب", "اللاذقية", "طرطوس", "حمص", "حماة", "جبلة", "بانياس", "السويداء", "مصياف")
SYRIAN_PLACES_RU = ("г. Дамаск, Сирия", "г. Латакия, Сирия", "г. Тартус, Сирия", "г. Алеппо, Сирия")
SYRIAN_PLACES_LATIN = ("Damascus", "Aleppo", "Latakia", "Tartus", "Homs", "Hama", "Jableh", "Baniyas")

MINORITY = "minority (synthetic)"  # the religion recorded for the at-risk households
NARRATIVES = (
    "Threatened at a checkpoint; house burned (synthetic).",
    "Relative detained for two weeks, released after payment (synthetic).",
    "Village shelled; family fled on foot to the airbase (synthetic).",
    "Received written threats naming the family's community (synthetic).",
    "Shop looted and closed by armed men (synthetic).",
    "Neighbours from the same minority were killed nearby (synthetic).",
    "Son forcibly recruited, escaped after a month (synthetic).",
)
