"""Name tables of the benchmark's synthetic population, written for the benchmark alone.

The ground truth must not share knowledge with the engine it measures, so nothing here comes from
``safepassage`` (nor from a names data set: names-dataset is derived from leaked personal data). Each
row is ``weight ; Latin spellings ; Arabic ; Cyrillic spellings``: the first spelling of each script is
the usual one, the others are variants met on documents and lists. Weights give the skew of a real
population (one "Mohammed" for every ten men; a long tail of rare names). Russian names are written in
Cyrillic only: their Latin and Arabic forms are produced by the rules in ``scripts.py``, as clerks
and passport offices produce them.
"""

# ruff: noqa: E501 - table rows are data, one name per line

from __future__ import annotations

from typing import NamedTuple


class ArabName(NamedTuple):
    """A name of Arabic origin in the three scripts. ``article``: a family name written with al-."""

    weight: float
    latin: tuple[str, ...]
    arabic: str
    cyrillic: tuple[str, ...]
    article: bool = False


def _rows(text: str, *, family: bool = False) -> tuple[ArabName, ...]:
    out = []
    for row in text.strip().splitlines():
        weight, latin, arabic, cyrillic = (cell.strip() for cell in row.split(";"))
        article = family and arabic.startswith("ال")
        out.append(
            ArabName(
                float(weight),
                tuple(latin.split("|")),
                arabic.removeprefix("ال") if article else arabic,
                tuple(cyrillic.split("|")),
                article,
            )
        )
    return tuple(out)


# Given names of men. "Abd al-" compounds carry their joined and separate forms.
MALE = _rows("""
100;Mohammed|Muhammad|Mohamad|Mohamed|Mohammad|Mouhamad;محمد;Мухаммед|Мохаммед|Мухаммад|Мохамед
45;Ahmed|Ahmad|Ahmet;أحمد;Ахмед|Ахмад
40;Ali|Aly;علي;Али
30;Mahmoud|Mahmud|Mahmood;محمود;Махмуд
28;Hassan|Hasan;حسن;Хасан|Гасан
25;Hussein|Husain|Hussain|Houssein;حسين;Хусейн|Хусейин|Хусеин
24;Abdulrahman|Abd al-Rahman|Abdelrahman|Abdel Rahman|Abdul Rahman|Abdurrahman;عبد الرحمن;Абдурахман|Абдуррахман|Абдель Рахман
22;Abdullah|Abdallah|Abd Allah|Abdulla;عبد الله;Абдулла|Абдаллах
20;Omar|Umar|Omer;عمر;Омар|Умар
20;Khaled|Khalid|Khaleed;خالد;Халед|Халид
18;Youssef|Yusuf|Yousef|Yousif|Joseph;يوسف;Юсуф|Юсеф
18;Ibrahim|Ebrahim|Ibraheem;إبراهيم;Ибрагим|Ибрахим
16;Mustafa|Moustafa|Mostafa;مصطفى;Мустафа
15;Abdulkarim|Abd al-Karim|Abdelkarim|Abdul Karim;عبد الكريم;Абдулкарим|Абдель Карим
14;Saleh|Salih|Salah;صالح;Салех|Салих
13;Said|Saeed|Sayed;سعيد;Саид|Саед
12;Yasser|Yasir|Yaser;ياسر;Ясир|Ясер
12;Jamal|Gamal|Jamaal;جمال;Джамаль|Жамаль
12;Karim|Kareem;كريم;Карим
11;Samir|Sameer;سمير;Самир
11;Adel|Adil;عادل;Адель|Адиль
11;Tarek|Tariq|Tarik;طارق;Тарек|Тарик
10;Walid|Waleed|Oualid;وليد;Валид|Уалид
10;Nabil|Nabeel;نبيل;Набиль
10;Fadi|Fady;فادي;Фади
10;Rami|Ramy;رامي;Рами
10;Bassam|Basam;بسام;Бассам
9;Suleiman|Sulayman|Soliman;سليمان;Сулейман
9;Issa|Isa|Eissa;عيسى;Иса|Исса
9;Moussa|Musa|Mousa;موسى;Муса
9;Hamza|Hamzah;حمزة;Хамза
9;Bilal|Belal;بلال;Билал
8;Anas|Annas;أنس;Анас
8;Ayman|Aiman|Eyman;أيمن;Айман
8;Abdulaziz|Abd al-Aziz|Abdelaziz|Abdul Aziz;عبد العزيز;Абдулазиз|Абдель Азиз
8;Zaid|Zeid|Zayd;زيد;Зейд|Заид
8;Majid|Majed|Maged;ماجد;Маджид|Маджед
7;Imad|Emad;عماد;Имад
7;Ziad|Ziyad;زياد;Зияд|Зиад
7;Hisham|Hesham;هشام;Хишам
7;Marwan|Merwan;مروان;Марван
7;Nasser|Nasir|Naser;ناصر;Насер|Насир
7;Raed|Ra'ed;رائد;Раед
7;Haidar|Haydar|Hayder;حيدر;Хайдар|Гейдар
6;Osama|Usama|Oussama;أسامة;Усама|Осама
6;Wael|Wa'il;وائل;Ваиль|Уаэль
6;Mazen|Mazin;مازن;Мазен
6;Nizar|Nezar;نزار;Низар
6;Firas|Feras;فراس;Фирас
6;Qasim|Kassem|Qassem|Kasim;قاسم;Касим|Касем
6;Abbas|Abas;عباس;Аббас
5;Jaafar|Ja'far|Jafar;جعفر;Джафар|Жафар
5;Munir|Mounir;منير;Мунир
5;Riad|Riyad|Riyadh;رياض;Рияд|Риад
5;Ghassan|Gassan;غسان;Гассан
5;Hani|Hany;هاني;Хани
5;Shadi|Chadi;شادي;Шади
5;Jihad|Jehad;جهاد;Джихад
4;Yazan|Yezan;يزن;Язан
4;Muhannad|Mohannad;مهند;Муханнад
4;Haitham|Haytham;هيثم;Хайсам|Хейсам
4;Abdulhadi|Abd al-Hadi|Abdelhadi;عبد الهادي;Абдулхади
4;Nour al-Din|Nureddin|Noureddine|Nur al-Din;نور الدين;Нурэддин|Нур ад-Дин
4;Salah al-Din|Salahuddin|Salaheddine;صلاح الدين;Салахуддин|Салах ад-Дин
4;Sami|Samy;سامي;Сами
3;Louay|Luay|Loai;لؤي;Луай
3;Ammar|Amar;عمار;Аммар
3;Ayham|Aiham;أيهم;Айхам
3;Tamer|Tamir;تامر;Тамер
3;Wissam|Wisam;وسام;Виссам
3;Kinan|Kenan;كنان;Кинан
3;Yahya|Yehia|Yahia;يحيى;Яхья
3;Zakaria|Zakariya|Zakariyya;زكريا;Закария
2;Ubaida|Obaida|Oubaida;عبيدة;Убайда
2;Hamoud|Hammoud;حمود;Хамуд
2;Salem|Salim;سالم;Салем|Салим
2;Taha|Tah'a;طه;Таха
2;Adnan|Adnane;عدنان;Аднан
2;Muayad|Moayad|Mouayad;مؤيد;Муайяд
2;Bashar|Bachar;بشار;Башар
""")

FEMALE = _rows("""
40;Fatima|Fatma|Fatimah|Fatmeh;فاطمة;Фатима|Фатма
30;Maryam|Mariam|Meryem;مريم;Марьям|Мариам
25;Aisha|Aysha|Aicha|Ayesha;عائشة;Аиша|Айша
22;Zainab|Zeinab|Zaynab;زينب;Зейнаб|Зайнаб
20;Nour|Nur|Noor;نور;Нур
18;Khadija|Khadijah|Khadeeja;خديجة;Хадиджа|Хадижа
16;Amina|Aminah|Amna;آمنة;Амина|Амна
15;Huda|Houda|Hoda;هدى;Худа
14;Layla|Leila|Laila;ليلى;Лейла|Лайла
14;Sara|Sarah;سارة;Сара
13;Rana|Ranaa;رنا;Рана
12;Hanan|Hanane;حنان;Ханан
12;Iman|Eman|Imane;إيمان;Иман
11;Samira|Sameera;سميرة;Самира
11;Nadia|Nadiya;نادية;Надия
10;Amal|Amel;أمل;Амаль
10;Rasha|Racha;رشا;Раша
10;Mona|Muna|Mouna;منى;Муна|Мона
9;Reem|Rim|Rima;ريم;Рим|Реем
9;Hiba|Heba;هبة;Хиба|Хеба
9;Salma|Selma;سلمى;Сальма
8;Lina|Leena;لينا;Лина
8;Yasmin|Yasmine|Jasmine;ياسمين;Ясмин|Ясмина
8;Ghada|Rhada;غادة;Гада
8;Suad|Souad;سعاد;Суад
7;Wafa|Wafaa;وفاء;Вафа
7;Nisreen|Nesrine|Nasrin;نسرين;Насрин|Несрин
7;Rahaf|Rahef;رهف;Рахаф
7;Raghad|Rghad;رغد;Рагад
6;Hala|Halah;هالة;Хала
6;Jana|Janna;جنى;Джана|Жана
6;Lama|Lamaa;لمى;Лама
6;Duaa|Doaa|Dua;دعاء;Дуа
6;Aya|Ayah;آية;Ая|Айя
5;Bayan|Baian;بيان;Баян
5;Shahd|Shahad;شهد;Шахд
5;Razan|Razane;رزان;Разан
5;Tala|Talah;تالا;Тала
5;Sawsan|Sousan;سوسن;Сусан|Саусан
4;Jamila|Jameela;جميلة;Джамиля|Жамиля
4;Suha|Souha;سهى;Суха
4;Asma|Asmaa;أسماء;Асма
4;Ruqayya|Roqaya|Rukaya;رقية;Рукайя
3;Batoul|Batool;بتول;Батуль
3;Zahra|Zahraa;زهراء;Захра
3;Dima|Deema;ديما;Дима
3;Rawan|Rouan;روان;Раван
3;Malak|Malek;ملاك;Малак
2;Widad|Wedad;وداد;Видад
2;Inas|Enas;إيناس;Инас
""")

# Family names. Those written with the article in Arabic (الحسن) take al-/el-/Аль- in the other scripts.
FAMILY = _rows(
    """
40;Hassan|Hasan;الحسن;Хасан|Гасан
35;Ali|Aly;علي;Али
30;Ahmad|Ahmed;أحمد;Ахмад|Ахмед
28;Hussein|Husseini|Husain;الحسين;Хусейн|Хусейни
25;Khatib|Khateeb;الخطيب;Хатиб
22;Masri|Misri;المصري;Масри
20;Halabi|Halaby;الحلبي;Халяби|Халаби
20;Haddad|Hadad;حداد;Хаддад
18;Khoury|Khouri|Khuri;خوري;Хури|Хоури
18;Ibrahim|Ebrahim;إبراهيم;Ибрагим
18;Saleh|Salih;الصالح;Салех|Салих
16;Najjar|Najar;النجار;Наджар|Наджжар
16;Hamdan|Hamadan;حمدان;Хамдан
15;Sayed|Sayyid|Said;السيد;Саид|Сайед
15;Shami|Chami;الشامي;Шами
14;Homsi|Hemsi;الحمصي;Хомси|Хумси
14;Jaber|Jabir|Gaber;جابر;Джабер|Жабер
14;Abdullah|Abdallah;عبد الله;Абдулла
13;Darwish|Darwiche|Derwish;درويش;Дарвиш
13;Khalil|Khaleel;خليل;Халиль
12;Mansour|Mansur;منصور;Мансур
12;Othman|Osman|Uthman;عثمان;Осман|Усман
12;Yousef|Yusuf|Youssef;يوسف;Юсеф|Юсуф
12;Aswad|Asswad;الأسود;Асвад
11;Shaikh|Sheikh|Cheikh;الشيخ;Шейх
11;Zoubi|Zubi|Zuabi;الزعبي;Зуби|Зоуби
11;Hakim|Hakeem;الحكيم;Хаким
10;Rifai|Refai|Rifa'i;الرفاعي;Рифаи
10;Tamimi|Tamimy;التميمي;Тамими
10;Dabbagh|Debbagh;الدباغ;Даббаг
10;Qassab|Kassab;القصاب;Кассаб
10;Atrash|Atrache;الأطرش;Атраш
9;Jundi|Joundi;الجندي;Джунди
9;Nasser|Nasser|Naser;ناصر;Насер
9;Salem|Salim;سالم;Салем
9;Bakri|Bakry;البكري;Бакри
9;Hamwi|Hamawi;الحموي;Хамви|Хамави
8;Shehadeh|Shahada|Chehade;شحادة;Шехаде|Шахада
8;Mardini|Mardiny;المارديني;Мардини
8;Kurdi|Kordi;الكردي;Курди
8;Sabbagh|Sabagh;الصباغ;Саббаг
8;Kayali|Kayyali;الكيالي;Каяли
7;Obeid|Ubaid|Obaid;عبيد;Обейд|Убайд
7;Hariri|Harire;الحريري;Харири
7;Attar|Atar;العطار;Аттар
7;Dandashi|Dendashi;الدندشي;Дандаши
7;Kabbani|Qabbani;قباني;Каббани
6;Mahfouz|Mahfuz;محفوظ;Махфуз
6;Barakat|Baraket;بركات;Баракат
6;Sukkar|Soukar;سكر;Суккар
6;Khayyat|Khayat;الخياط;Хайят
6;Tarabishi|Tarabichi;الطرابيشي;Тарабиши
6;Farhat|Ferhat;فرحات;Фархат
5;Idlibi|Edlibi;الإدلبي;Идлиби
5;Sharif|Cherif|Sherif;الشريف;Шариф
5;Azzam|Azam;عزام;Аззам
5;Ghanem|Ghanim;غانم;Ганем|Ганим
5;Haj Ali|Hajj Ali|Al-Haj Ali;الحاج علي;Хадж Али
5;Abu Zaid|Abou Zeid|Abuzaid;أبو زيد;Абу Зейд
5;Abu Hamdan|Abou Hamdan;أبو حمدان;Абу Хамдан
4;Abu Khalil|Abou Khalil;أبو خليل;Абу Халиль
4;Abu Saleh|Abou Saleh;أبو صالح;Абу Салех
4;Moussa|Musa;موسى;Муса
4;Zein|Zain;الزين;Зейн
4;Bitar|Baytar|Beitar;البيطار;Битар
4;Sawwaf|Sawaf;الصواف;Саввааф|Саваф
3;Tayyar|Tayar;الطيار;Тайяр
3;Fakhouri|Fakhoury;الفاخوري;Фахури
3;Nahhas|Nahas;النحاس;Наххас
3;Daher|Dahir;ضاهر;Дахер
3;Shaar|Sha'ar;الشعار;Шаар
3;Rahhal|Rahal;الرحال;Раххаль
2;Halawani|Helwani;الحلواني;Халявани
2;Qudsi|Kudsi;القدسي;Кудси
2;Sibai|Sebai;السباعي;Сибаи
2;Jazairi|Jazaery;الجزائري;Джазаири
2;Tabbaa|Tabba;الطباع;Таббаа
2;Muhanna|Mhanna;مهنا;Муханна
""",
    family=True,
)

# Given names met in mixed families: chosen by a Russian mother and an Arab father alike.
SHARED_MALE = _rows("""
10;Adam|Adem;آدم;Адам
8;Timur|Teymour|Timour;تيمور;Тимур
8;Amir|Ameer;أمير;Амир
6;Kamil|Kamel;كامل;Камиль
6;Ruslan|Rouslan;رسلان;Руслан
5;Rustam|Rostam;رستم;Рустам
5;Daniel|Danil|Daniyal;دانيال;Даниил|Данил
4;David|Daoud|Dawood;داود;Давид|Дауд
4;Mark|Marc;مارك;Марк
3;Artur|Arthur;آرثر;Артур
""")

SHARED_FEMALE = _rows("""
10;Sofia|Sofiya|Sophia;صوفيا;София|Софья
9;Maria|Mariya|Mariia;ماريا;Мария
8;Leila|Layla|Leyla;ليلى;Лейла|Лейля
7;Amina|Aminah;أمينة;Амина
6;Yana|Iana;يانا;Яна
6;Alisa|Alissa;أليسا;Алиса
6;Diana|Dayana;ديانا;Диана
5;Milana|Milena;ميلانا;Милана
5;Sara|Sarah;سارة;Сара
4;Alina|Aleena;ألينا;Алина
4;Kamila|Camila;كاميلا;Камила
""")

# Russian names, Cyrillic only (weight ; name). Other scripts come from the rules in scripts.py.
RUSSIAN_FEMALE: tuple[tuple[float, str], ...] = tuple(
    (float(w), n)
    for w, n in (
        row.split(";")
        for row in """
30;Наталья
28;Елена
26;Ольга
25;Татьяна
22;Светлана
20;Ирина
18;Анна
16;Екатерина
15;Юлия
14;Марина
13;Мария
12;Людмила
12;Галина
11;Оксана
10;Анастасия
10;Евгения
9;Валентина
9;Надежда
8;Виктория
8;Ксения
7;Дарья
7;Алёна
6;Вера
6;Любовь
6;Лариса
5;Жанна
5;Нина
5;Кристина
4;Яна
4;Полина
4;Алина
3;Зоя
3;Эльвира
3;Лилия
3;Ульяна
2;Софья
2;Инна
2;Маргарита
""".strip().splitlines()
    )
)

RUSSIAN_MALE: tuple[tuple[float, str], ...] = tuple(
    (float(w), n)
    for w, n in (
        row.split(";")
        for row in """
25;Александр
22;Сергей
20;Владимир
18;Андрей
16;Алексей
15;Николай
14;Иван
12;Михаил
12;Дмитрий
10;Евгений
10;Юрий
9;Виктор
8;Игорь
8;Олег
7;Анатолий
6;Василий
6;Павел
5;Геннадий
5;Борис
4;Пётр
4;Валерий
3;Григорий
3;Константин
2;Фёдор
2;Леонид
""".strip().splitlines()
    )
)

# Masculine surnames; feminine forms (-ова, -ина, -ская) come from the rule in scripts.py.
RUSSIAN_SURNAMES: tuple[tuple[float, str], ...] = tuple(
    (float(w), n)
    for w, n in (
        row.split(";")
        for row in """
30;Иванов
25;Смирнов
22;Кузнецов
20;Попов
18;Васильев
16;Петров
15;Соколов
14;Михайлов
13;Новиков
12;Фёдоров
12;Морозов
11;Волков
11;Алексеев
10;Лебедев
10;Семёнов
9;Егоров
9;Павлов
9;Козлов
8;Степанов
8;Николаев
8;Орлов
7;Андреев
7;Макаров
7;Никитин
7;Захаров
6;Зайцев
6;Соловьёв
6;Борисов
6;Яковлев
6;Григорьев
5;Романов
5;Воробьёв
5;Сергеев
5;Кузьмин
5;Фролов
5;Александров
4;Дмитриев
4;Королёв
4;Гусев
4;Киселёв
4;Ильин
4;Максимов
4;Поляков
3;Сорокин
3;Виноградов
3;Ковалёв
3;Белов
3;Медведев
3;Антонов
3;Тарасов
3;Жуков
3;Баранов
3;Филиппов
2;Комаров
2;Давыдов
2;Беляев
2;Герасимов
2;Богданов
2;Осипов
2;Сидоров
2;Матвеев
2;Титов
2;Марков
2;Миронов
2;Крылов
2;Куликов
2;Карпов
2;Власов
2;Мельников
2;Денисов
1;Гаврилов
1;Тихонов
1;Казаков
1;Афанасьев
1;Данилов
1;Савельев
1;Тимофеев
1;Фомин
1;Чернов
1;Абрамов
1;Мартынов
1;Ефимов
1;Федотов
1;Щербаков
1;Назаров
1;Калинин
1;Исаев
1;Чернышёв
1;Быков
1;Маслов
1;Родионов
1;Коновалов
1;Лазарев
1;Воронин
1;Климов
1;Филатов
1;Пономарёв
1;Голубев
1;Кудрявцев
1;Прохоров
1;Наумов
1;Потапов
1;Журавлёв
1;Овчинников
1;Трофимов
1;Леонов
1;Соболев
1;Ермаков
1;Колесников
1;Гончаров
1;Емельянов
1;Никифоров
1;Грачёв
1;Котов
1;Гришин
1;Ефремов
1;Архипов
1;Громов
1;Кириллов
1;Малышев
1;Панов
1;Моисеев
1;Румянцев
1;Акимов
1;Кондратьев
1;Бирюков
1;Горбунов
1;Анисимов
1;Еремин
1;Тихомиров
1;Галкин
1;Лукьянов
1;Михеев
1;Скворцов
1;Юдин
1;Белоусов
1;Нестеров
1;Симонов
1;Прокофьев
1;Харитонов
1;Князев
1;Цветков
1;Левин
1;Митрофанов
1;Воронов
1;Аксёнов
1;Софронов
1;Мальцев
1;Логинов
1;Горшков
1;Савин
1;Краснов
1;Майоров
1;Демидов
1;Елисеев
1;Рыбаков
1;Сафонов
1;Плотников
1;Демин
1;Хохлов
1;Жданов
1;Лавров
1;Высоцкий
1;Ковальский
1;Заславский
""".strip().splitlines()
    )
)

# Places of birth: (weight, Latin spellings, Arabic, Cyrillic spellings).
LOCAL_PLACES = _rows("""
30;Damascus|Dimashq|Damas;دمشق;Дамаск
25;Aleppo|Halab|Alep;حلب;Алеппо|Халеб
18;Homs|Hims;حمص;Хомс
12;Latakia|Lattakia|Al-Ladhiqiyah;اللاذقية;Латакия
10;Hama|Hamah;حماة;Хама
8;Tartus|Tartous;طرطوس;Тартус
7;Deir ez-Zor|Deir Ezzor|Dayr az-Zawr;دير الزور;Дейр-эз-Зор
6;Idlib|Edlib;إدلب;Идлиб
6;Daraa|Deraa|Dar'a;درعا;Дараа
5;Raqqa|Rakka|Ar-Raqqah;الرقة;Ракка
5;Qamishli|Kamishli|Al-Qamishli;القامشلي;Камышлы
4;Suwayda|Sweida|As-Suwayda;السويداء;Сувейда
4;Palmyra|Tadmur|Tadmor;تدمر;Пальмира
3;Jableh|Jabla;جبلة;Джабла
3;Manbij|Menbij;منبج;Манбидж
3;Salamiyah|Salamieh;السلمية;Саламия
2;Douma|Duma;دوما;Дума
2;Zabadani|Zabadany;الزبداني;Забадани
2;Maaloula|Ma'loula;معلولا;Маалюля
2;Afrin|Efrin;عفرين;Африн
""")

RUSSIAN_PLACES = _rows("""
25;Moscow|Moskva;موسكو;Москва
15;Saint Petersburg|St. Petersburg|Sankt-Peterburg;سانت بطرسبرغ;Санкт-Петербург
8;Kazan|Kazan';قازان;Казань
7;Rostov-on-Don|Rostov-na-Donu;روستوف;Ростов-на-Дону
6;Volgograd|Volgograd;فولغوغراد;Волгоград
6;Krasnodar|Krasnodar;كراسنودار;Краснодар
5;Saratov|Saratov;ساراتوف;Саратов
5;Samara|Samara;سامارا;Самара
5;Voronezh|Voronej;فورونيج;Воронеж
4;Nizhny Novgorod|Nizhniy Novgorod;نيجني نوفغورود;Нижний Новгород
4;Yekaterinburg|Ekaterinburg;يكاترينبورغ;Екатеринбург
3;Ufa|Oufa;أوفا;Уфа
3;Makhachkala|Mahachkala;محج قلعة;Махачкала
3;Stavropol|Stavropol';ستافروبول;Ставрополь
2;Astrakhan|Astrahan;أستراخان;Астрахань
2;Kursk|Koursk;كورسك;Курск
""")
